package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.devtools.simulator.ApiSimulator;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.events.EnterpriseResult;
import dev.chatbridge.events.Reference;
import dev.chatbridge.events.ToolCall;
import dev.chatbridge.events.ToolEvent;
import dev.chatbridge.events.ToolResources;
import dev.chatbridge.events.WebSearchSource;
import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.SoftAssertions;

/**
 * The expected {@link ChatAnswer} of the answer objects a server sent, computed without the production aggregator
 * (plain loops over the JSON trees, as the API reference describes the members), and a field-by-field comparison with
 * what the client produced, directly and after the answer went into a ChatResponse event and through Avro binary.
 * Free-form objects ({@code data}, {@code custom}) are compared as parsed JSON trees.
 */
final class SentChunksOracle {

    /** One {@code tool} object and the text length reached when it came (its own text included). */
    record ExpectedToolEvent(JsonNode tool, int textOffset) {}

    /** The expected answer, as the JSON the server sent. */
    record Expected(
            String text,
            List<JsonNode> toolCalls,
            List<JsonNode> references,
            List<String> sourcesIds,
            List<ExpectedToolEvent> toolEvents,
            String apiRequestId) {}

    private final ObjectMapper json;

    SentChunksOracle(ObjectMapper json) {
        this.json = json;
    }

    /** Folds the sent objects the way the contract says: text concatenated, lists appended, last requestId. */
    static Expected expected(List<JsonNode> sent) {
        StringBuilder text = new StringBuilder();
        List<JsonNode> toolCalls = new ArrayList<>();
        List<JsonNode> references = new ArrayList<>();
        List<String> sourcesIds = new ArrayList<>();
        List<ExpectedToolEvent> toolEvents = new ArrayList<>();
        String requestId = null;
        for (JsonNode chunk : sent) {
            if (chunk.path("text").isTextual()) {
                text.append(chunk.get("text").textValue());
            }
            chunk.path("toolCalls").forEach(toolCalls::add);
            if (chunk.path("reference").isObject()) {
                references.add(chunk.get("reference"));
            }
            chunk.path("sources").path("sourcesIds").forEach(id -> sourcesIds.add(id.textValue()));
            if (chunk.path("tool").isObject()) {
                toolEvents.add(new ExpectedToolEvent(chunk.get("tool"), text.length()));
            }
            if (chunk.path("requestId").isTextual()) {
                requestId = chunk.get("requestId").textValue();
            }
        }
        return new Expected(text.toString(), toolCalls, references, sourcesIds, toolEvents, requestId);
    }

    /** Records, in {@code soft}, every field of {@code actual} that differs from {@code expected}. */
    void compare(Expected expected, ChatAnswer actual, SoftAssertions soft) {
        soft.assertThat(actual.text()).as("text").isEqualTo(expected.text());
        soft.assertThat(actual.apiRequestId()).as("apiRequestId").isEqualTo(expected.apiRequestId());
        soft.assertThat(actual.sourcesIds()).as("sourcesIds").isEqualTo(expected.sourcesIds());

        soft.assertThat(actual.toolCalls()).as("number of toolCalls").hasSameSizeAs(expected.toolCalls());
        for (int i = 0;
                i < Math.min(actual.toolCalls().size(), expected.toolCalls().size());
                i++) {
            ToolCall call = actual.toolCalls().get(i);
            JsonNode want = expected.toolCalls().get(i);
            String at = "toolCalls[" + i + "].";
            text(soft, at + "id", call.getId(), want.get("id"));
            text(soft, at + "name", call.getName(), want.get("name"));
            text(soft, at + "type", call.getType(), want.get("type"));
            text(soft, at + "callId", call.getCallId(), want.get("callId"));
            text(soft, at + "arguments (verbatim string)", call.getArguments(), want.get("arguments"));
        }

        soft.assertThat(actual.references()).as("number of references").hasSameSizeAs(expected.references());
        for (int i = 0;
                i < Math.min(actual.references().size(), expected.references().size());
                i++) {
            Reference reference = actual.references().get(i);
            JsonNode want = expected.references().get(i);
            soft.assertThat(reference.getReferenceIds())
                    .as("references[%d].referenceIds", i)
                    .isEqualTo(strings(want.get("referenceIds")));
            soft.assertThat(reference.getPosition())
                    .as("references[%d].position", i)
                    .isEqualTo(want.path("position").intValue());
        }

        soft.assertThat(actual.toolEvents()).as("number of toolEvents").hasSameSizeAs(expected.toolEvents());
        for (int i = 0;
                i < Math.min(actual.toolEvents().size(), expected.toolEvents().size());
                i++) {
            toolEvent(
                    soft,
                    "toolEvents[" + i + "]",
                    actual.toolEvents().get(i),
                    expected.toolEvents().get(i));
        }
    }

    /** Asserts that the outcome is a success whose answer is, field by field, what the simulator sent. */
    Expected assertAnswerIsWhatWasSent(ApiSimulator sim, CallOutcome outcome) {
        assertThat(outcome).isInstanceOf(CallOutcome.Success.class);
        ChatAnswer answer = ((CallOutcome.Success) outcome).answer();
        assertThat(answer.apiRequestId())
                .as("apiRequestId (the simulator's id)")
                .startsWith("sim-");
        List<JsonNode> sent = sim.sentChunks(answer.apiRequestId())
                .orElseThrow(() -> new AssertionError("the simulator recorded no answer " + answer.apiRequestId()));
        Expected expected = SentChunksOracle.expected(sent);
        SoftAssertions.assertSoftly(soft -> compare(expected, answer, soft));
        return expected;
    }

    /**
     * Asserts that the answer is what the simulator sent, that the simulator sent every tool member, and that a
     * ChatResponse of it keeps every field through Avro binary.
     */
    void assertResponseEventHoldsEverything(ApiSimulator sim, ChatRequest request, CallOutcome outcome)
            throws IOException {
        Expected expected = assertAnswerIsWhatWasSent(sim, outcome);
        assertThat(expected.toolCalls()).as("tool calls sent").isNotEmpty();
        assertThat(expected.references()).as("references sent").isNotEmpty();
        assertThat(expected.sourcesIds()).as("sources sent").isNotEmpty();
        assertThat(expected.toolEvents())
                .as("tool events sent, one with every resource kind")
                .anyMatch(e -> e.tool().path("response").path("resources").has("enterprise")
                        && e.tool().path("response").path("resources").has("webSearch")
                        && e.tool().path("response").path("resources").has("custom"));

        // the response event holds every field, through Avro binary and back
        ChatResponse event = ResponseEvents.of(
                request, ((CallOutcome.Success) outcome).answer(), Instant.now().truncatedTo(ChronoUnit.MILLIS));
        ChatResponse back = ResponseEvents.throughAvroBinary(event);
        assertThat(back).as("ChatResponse after Avro binary").isEqualTo(event);
        SoftAssertions.assertSoftly(soft -> {
            compare(expected, ResponseEvents.answerOf(back), soft);
            soft.assertThat(back.getRequestId()).as("requestId").isEqualTo(request.getRequestId());
            soft.assertThat(back.getThreadId()).as("threadId").isEqualTo(request.getThreadId());
            soft.assertThat(back.getAssistantId()).as("assistantId").isEqualTo(request.getAssistantId());
            soft.assertThat(back.getAccount()).as("account").isEqualTo(request.getAccount());
            soft.assertThat(back.getMetadata()).as("metadata").isEqualTo(request.getMetadata());
            soft.assertThat(back.getAttempts()).as("attempts").isEqualTo(event.getAttempts());
            soft.assertThat(back.getLatencyMs()).as("latencyMs").isEqualTo(event.getLatencyMs());
            soft.assertThat(back.getCompletedAt()).as("completedAt").isEqualTo(event.getCompletedAt());
        });
    }

    private void toolEvent(SoftAssertions soft, String at, ToolEvent event, ExpectedToolEvent want) {
        JsonNode tool = want.tool();
        soft.assertThat(event.getTextOffset()).as(at + ".textOffset").isEqualTo(want.textOffset());
        JsonNode status = tool.get("toolCallStatus");
        if (present(soft, at + ".toolCallStatus", event.getToolCallStatus(), status)) {
            text(
                    soft,
                    at + ".toolCallStatus.toolCallId",
                    event.getToolCallStatus().getToolCallId(),
                    status.get("toolCallId"));
            text(soft, at + ".toolCallStatus.status", event.getToolCallStatus().getStatus(), status.get("status"));
        }
        JsonNode step = tool.get("toolStep");
        if (present(soft, at + ".toolStep", event.getToolStep(), step)) {
            text(
                    soft,
                    at + ".toolStep.stepDescription",
                    event.getToolStep().getStepDescription(),
                    step.get("stepDescription"));
            text(soft, at + ".toolStep.toolId", event.getToolStep().getToolId(), step.get("toolId"));
        }
        JsonNode response = tool.get("response");
        if (present(soft, at + ".response", event.getResponse(), response)) {
            text(soft, at + ".response.name", event.getResponse().getName(), response.get("name"));
            text(soft, at + ".response.toolId", event.getResponse().getToolId(), response.get("toolId"));
            JsonNode resources = response.get("resources");
            if (present(soft, at + ".response.resources", event.getResponse().getResources(), resources)) {
                resources(soft, at + ".response.resources", event.getResponse().getResources(), resources);
            }
        }
    }

    private void resources(SoftAssertions soft, String at, ToolResources actual, JsonNode want) {
        JsonNode results = want.path("enterprise").get("results");
        List<EnterpriseResult> enterprise = actual.getEnterprise();
        soft.assertThat(enterprise == null ? -1 : enterprise.size())
                .as(at + ".enterprise size")
                .isEqualTo(results == null ? -1 : results.size());
        for (int i = 0; enterprise != null && results != null && i < Math.min(enterprise.size(), results.size()); i++) {
            EnterpriseResult r = enterprise.get(i);
            JsonNode w = results.get(i);
            String p = at + ".enterprise[" + i + "].";
            text(soft, p + "id", r.getId(), w.get("id"));
            text(soft, p + "appId", r.getAppId(), w.get("appId"));
            text(soft, p + "type", r.getType(), w.get("type"));
            text(soft, p + "externalId", r.getExternalId(), w.get("externalId"));
            text(soft, p + "name", r.getName(), w.get("name"));
            tree(soft, p + "dataJson", r.getDataJson(), w.get("data"));
            text(soft, p + "title", r.getTitle(), w.get("title"));
            text(soft, p + "subtitle", r.getSubtitle(), w.get("subtitle"));
            text(soft, p + "url", r.getUrl(), w.get("url"));
        }
        JsonNode sources = want.path("webSearch").get("sources");
        List<WebSearchSource> web = actual.getWebSearch();
        soft.assertThat(web == null ? -1 : web.size())
                .as(at + ".webSearch size")
                .isEqualTo(sources == null ? -1 : sources.size());
        for (int i = 0; web != null && sources != null && i < Math.min(web.size(), sources.size()); i++) {
            WebSearchSource s = web.get(i);
            JsonNode w = sources.get(i);
            String p = at + ".webSearch[" + i + "].";
            text(soft, p + "id", s.getId(), w.get("id"));
            text(soft, p + "url", s.getUrl(), w.get("url"));
            text(soft, p + "icon", s.getIcon(), w.get("icon"));
            text(soft, p + "title", s.getTitle(), w.get("title"));
            text(soft, p + "siteName", s.getSiteName(), w.get("siteName"));
            text(soft, p + "description", s.getDescription(), w.get("description"));
        }
        tree(soft, at + ".customJson", actual.getCustomJson(), want.get("custom"));
    }

    private static boolean present(SoftAssertions soft, String at, Object actual, JsonNode want) {
        boolean expected = want != null && !want.isNull();
        soft.assertThat(actual != null).as(at + " present").isEqualTo(expected);
        return expected && actual != null;
    }

    private static void text(SoftAssertions soft, String at, String actual, JsonNode want) {
        soft.assertThat(actual).as(at).isEqualTo(want == null || want.isNull() ? null : want.textValue());
    }

    private void tree(SoftAssertions soft, String at, String actualJson, JsonNode want) {
        JsonNode expected = want == null || want.isNull() ? null : want;
        try {
            soft.assertThat(actualJson == null ? null : json.readTree(actualJson))
                    .as(at + " as a JSON tree")
                    .isEqualTo(expected);
        } catch (JsonProcessingException e) {
            soft.fail(at + " is not valid JSON: " + actualJson, e);
        }
    }

    private static List<String> strings(JsonNode array) {
        if (array == null || array.isNull()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        array.forEach(item -> out.add(item.textValue()));
        return out;
    }
}
