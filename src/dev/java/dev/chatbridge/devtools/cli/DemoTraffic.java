package dev.chatbridge.devtools.cli;

import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.MessageRole;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The demo's sample requests: several conversation threads of several turns each, in which the first three requests
 * show the special cases (an answer with tool calls, a request the API rejects with 400, one that meets a 429 and is
 * retried), through the simulator's markers.
 */
final class DemoTraffic {

    /** Metadata key holding the turn number of a request within its thread. */
    static final String TURN = "demo.turn";
    /** The fewest requests that still show every special case. */
    static final int MIN_REQUESTS = 3;

    private static final String[] QUESTIONS = {
        "Which tools can you use for me? #tools",
        "Please summarise this: #fault:400",
        "What is the capital of France? #fault:429",
        "How do Kafka partitions keep order?",
        "And what happens when a consumer crashes?",
        "Explain exactly-once in one sentence.",
        "What is a schema registry for?",
        "Give me three tips for naming topics.",
    };

    private DemoTraffic() {}

    /**
     * {@code count} requests (at least {@link #MIN_REQUESTS}) over about count/3 threads, ids prefixed by {@code run}.
     */
    static List<ChatRequest> requests(int count, String run) {
        if (count < MIN_REQUESTS) {
            throw new IllegalArgumentException("the demo needs at least " + MIN_REQUESTS + " requests, was " + count);
        }
        int threads = Math.max(MIN_REQUESTS, count / 3);
        List<ChatRequest> requests = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int thread = i % threads + 1;
            int turn = i / threads + 1;
            List<ChatMessage> messages = new ArrayList<>();
            if (turn == 1) {
                messages.add(message(MessageRole.System, "You are a concise assistant for a Kafka team."));
            }
            messages.add(message(
                    MessageRole.User,
                    i < QUESTIONS.length
                            ? QUESTIONS[i]
                            : QUESTIONS[MIN_REQUESTS + i % (QUESTIONS.length - MIN_REQUESTS)] + " (turn " + turn
                                    + ")"));
            requests.add(ChatRequest.newBuilder()
                    .setRequestId(run + "-" + (i + 1))
                    .setThreadId(run + "-thread-" + thread)
                    .setMessages(messages)
                    .setMetadata(Map.of(TURN, Integer.toString(turn)))
                    .setCreatedAt(Instant.now())
                    .build());
        }
        return requests;
    }

    private static ChatMessage message(MessageRole role, String text) {
        return ChatMessage.newBuilder().setRole(role).setText(text).build();
    }
}
