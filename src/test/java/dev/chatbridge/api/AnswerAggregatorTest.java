package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.chatbridge.events.Reference;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(10)
class AnswerAggregatorTest {

    private final ObjectMapper mapper = JsonMapper.builder().build();

    @Test
    void shouldAggregateEveryKindOfMemberInOrderWhenAnswerComesInChunks() throws Exception {
        // Given
        AnswerAggregator aggregator = new AnswerAggregator(mapper);

        // When
        for (String chunk : AnswerFixtures.CHUNKS) {
            aggregator.accept(chunk);
        }
        ChatAnswer answer = aggregator.result();

        // Then
        assertThat(aggregator.objects()).isEqualTo(AnswerFixtures.CHUNKS.size());
        assertThat(answer.text()).isEqualTo(AnswerFixtures.TEXT);
        assertThat(answer.toolCalls()).isEqualTo(AnswerFixtures.TOOL_CALLS);
        assertThat(answer.references()).isEqualTo(AnswerFixtures.REFERENCES);
        assertThat(answer.sourcesIds()).isEqualTo(AnswerFixtures.SOURCES_IDS);
        assertThat(answer.toolEvents()).hasSize(AnswerFixtures.TOOL_EVENTS.size());
        for (int i = 0; i < AnswerFixtures.TOOL_EVENTS.size(); i++) {
            assertThat(answer.toolEvents().get(i)).as("tool event %d", i).isEqualTo(AnswerFixtures.TOOL_EVENTS.get(i));
        }
        assertThat(answer.apiRequestId()).isEqualTo(AnswerFixtures.API_REQUEST_ID);
        assertThat(answer).isEqualTo(AnswerFixtures.expected());
    }

    @Test
    void shouldKeepFreeFormObjectsAsTheirJsonText() throws Exception {
        // Given
        AnswerAggregator aggregator = new AnswerAggregator(mapper);

        // When
        aggregator.accept(AnswerFixtures.CHUNKS.get(4));

        // Then
        var resources = aggregator.result().toolEvents().get(0).getResponse().getResources();
        assertThat(mapper.readTree(resources.getEnterprise().get(0).getDataJson()))
                .isEqualTo(mapper.readTree(
                        "{\"space\":\"ENG\",\"tags\":[\"a\",\"b\"],\"nested\":{\"n\":1.5,\"ok\":true,\"none\":null}}"));
        assertThat(resources.getEnterprise().get(1).getDataJson()).isNull();
        assertThat(mapper.readTree(resources.getCustomJson()))
                .isEqualTo(mapper.readTree("{\"score\":0.9,\"labels\":[\"x\"]}"));
    }

    @Test
    void shouldGiveAnEmptyAnswerWhenObjectsCarryOnlyUnknownOrNullMembers() throws Exception {
        // Given
        AnswerAggregator aggregator = new AnswerAggregator(mapper);

        // When
        aggregator.accept("{\"future\":[1,2,{\"deep\":true}],\"text\":null}");
        aggregator.accept("{}");

        // Then
        assertThat(aggregator.result()).isEqualTo(new ChatAnswer("", List.of(), List.of(), List.of(), List.of(), null));
    }

    @Test
    void shouldKeepTheLastNonNullRequestIdAndPositionZeroWhenAbsent() throws Exception {
        // Given
        AnswerAggregator aggregator = new AnswerAggregator(mapper);

        // When
        aggregator.accept("{\"requestId\":\"first\",\"reference\":{}}");
        aggregator.accept("{\"requestId\":\"second\"}");
        aggregator.accept("{\"requestId\":null}");

        // Then
        assertThat(aggregator.result().apiRequestId()).isEqualTo("second");
        assertThat(aggregator.result().references()).containsExactly(new Reference(null, 0));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"text\":5}",
                "{\"text\":{\"a\":1}}",
                "{\"toolCalls\":{}}",
                "{\"toolCalls\":[\"x\"]}",
                "{\"toolCalls\":[{\"arguments\":{\"q\":1}}]}",
                "{\"reference\":{\"position\":\"7\"}}",
                "{\"reference\":{\"position\":1.5}}",
                "{\"reference\":[]}",
                "{\"sources\":{\"sourcesIds\":[1]}}",
                "{\"tool\":{\"toolCallStatus\":\"Start\"}}",
                "{\"tool\":{\"response\":{\"resources\":{\"custom\":[1]}}}}",
                "{\"tool\":{\"response\":{\"resources\":{\"enterprise\":{\"results\":[{\"data\":\"text\"}]}}}}}",
                "{\"requestId\":42}",
                "[1,2]",
                "\"text\"",
                "{\"text\":\"unterminated"
            })
    void shouldRejectAnObjectWhenAMemberHasTheWrongType(String json) {
        // Given
        AnswerAggregator aggregator = new AnswerAggregator(mapper);

        // When / Then
        assertThatThrownBy(() -> aggregator.accept(json))
                .isInstanceOf(AnswerParseException.class)
                .hasMessageContaining("answer");
    }

    @Test
    void shouldCountItemsAgainstTheirCapsAcrossObjects() throws Exception {
        // Given
        AnswerCaps caps = new AnswerCaps(2, 1000, 3, 1000, 1000, 50, 100);
        AnswerAggregator aggregator = new AnswerAggregator(mapper, caps);
        aggregator.accept("{\"toolCalls\":[{},{}],\"sources\":{\"sourcesIds\":[\"a\",\"b\"]}}");

        // When / Then
        assertThatThrownBy(() -> aggregator.accept("{\"toolCalls\":[{}]}"))
                .isInstanceOf(AnswerTooLargeException.class)
                .hasMessageStartingWith("the answer has more than 2 toolCalls");
        assertThatThrownBy(() -> aggregator.accept("{\"sources\":{\"sourcesIds\":[\"c\",\"d\"]}}"))
                .isInstanceOf(AnswerTooLargeException.class)
                .hasMessageStartingWith("the answer has more than 3 sourcesIds");
        String deep = "{\"tool\":{\"x\":[" + "1,".repeat(60) + "1]}}";
        assertThatThrownBy(() -> new AnswerAggregator(mapper, caps).accept(deep))
                .isInstanceOf(AnswerTooLargeException.class)
                .hasMessageContaining("more than 50 JSON values in one tool");
    }

    @Test
    void shouldTellAnAnswerFromProblemDetailsAndErrors() throws Exception {
        AnswerAggregator empty = new AnswerAggregator(mapper);
        empty.accept("{\"requestId\":\"r\",\"text\":null}");
        AnswerAggregator problem = new AnswerAggregator(mapper);
        problem.accept("{\"type\":\"about:blank\",\"title\":\"Busy\",\"status\":503,\"detail\":\"d\"}");
        AnswerAggregator error = new AnswerAggregator(mapper);
        error.accept("{\"text\":\"a\",\"error\":{\"status\":1}}");
        AnswerAggregator answer = new AnswerAggregator(mapper);
        answer.accept("{\"text\":\"\",\"title\":\"t\",\"status\":200}");

        assertThat(empty.recognised()).isFalse();
        assertThat(problem.problemShaped()).isTrue();
        assertThat(problem.problemMembers().getStatus()).isEqualTo(503);
        assertThat(problem.problemMembers().getDetail()).isEqualTo("d");
        assertThat(error.error()).isTrue();
        assertThat(answer.recognised()).isTrue();
        assertThat(answer.problemShaped()).isFalse();
    }
}
