package dev.chatbridge.devtools.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The deterministic content of answers: the same request, thread and turn always give the same objects. Text always
 * holds multi-byte UTF-8 ("é", "à", an emoji outside the BMP) so that clients decoding chunk by chunk are exercised.
 * Stateless and thread-safe.
 */
final class Answers {

    /** Longest echo of the user's text, in code points. */
    static final int MAX_ECHO = 200;
    /** Objects of the tool part of an answer (toolCalls+Start, step, response, reference, End). */
    static final int TOOL_PARTS = 5;

    static final String TOOL_CALL_ID = "toolcall-1";
    static final String TOOL_ID = "enterprise_search";

    private final ObjectMapper json;

    Answers(ObjectMapper json) {
        this.json = json;
    }

    /**
     * What to answer.
     *
     * @param requestId the simulator's id for the call
     * @param thread the thread id, or null
     * @param turn the turn number within the thread
     * @param userText the text of the last User message, or null
     * @param tools whether to add the tool fields ({@code #tools} in the text)
     */
    record Spec(String requestId, String thread, long turn, String userText, boolean tools) {}

    /** The full answer text. */
    static String text(Spec spec) {
        String said = spec.userText() == null ? "nothing" : "\"" + truncate(spec.userText()) + "\"";
        String thread = spec.thread() == null ? "(none)" : spec.thread();
        return "Turn " + spec.turn() + " of thread " + thread + ": you said " + said + ". Voilà, réponse prête 🙂";
    }

    /**
     * The answer as a stream of objects: {@code chunks} text pieces (concatenating to {@link #text(Spec)}); with tools,
     * at least {@link #TOOL_PARTS} objects, objects past the text pieces carrying {@code "text": null}. The first
     * object also carries a member the contract does not know ({@code modelInfo}), as the vendor may add fields.
     */
    List<ObjectNode> stream(Spec spec, int chunks) {
        List<String> pieces = split(text(spec), chunks);
        int count = spec.tools() ? Math.max(chunks, TOOL_PARTS) : chunks;
        List<ObjectNode> out = new ArrayList<>(count);
        StringBuilder soFar = new StringBuilder();
        for (int i = 0; i < count; i++) {
            ObjectNode o = json.createObjectNode();
            if (i < pieces.size()) {
                o.put("text", pieces.get(i));
                soFar.append(pieces.get(i));
            } else {
                o.putNull("text");
            }
            if (spec.tools() && i < TOOL_PARTS) {
                addToolPart(o, i, spec, soFar.length());
            }
            if (i == 0) {
                o.putObject("modelInfo").put("name", "simulator-1").put("tier", "standard");
            }
            o.put("requestId", spec.requestId());
            out.add(o);
        }
        return out;
    }

    /** The answer as one object: the whole text and, with tools, every tool field once. */
    ObjectNode single(Spec spec) {
        ObjectNode o = json.createObjectNode();
        String text = text(spec);
        o.put("text", text);
        if (spec.tools()) {
            o.set("toolCalls", toolCalls(spec));
            ObjectNode tool = o.putObject("tool");
            tool.set("toolCallStatus", status("End"));
            tool.set("toolStep", step());
            tool.set("response", response(spec));
            o.set("reference", reference(text.length()));
            o.set("sources", sources());
        }
        o.putObject("modelInfo").put("name", "simulator-1").put("tier", "standard");
        o.put("requestId", spec.requestId());
        return o;
    }

    private void addToolPart(ObjectNode o, int part, Spec spec, int position) {
        switch (part) {
            case 0 -> {
                o.set("toolCalls", toolCalls(spec));
                o.putObject("tool").set("toolCallStatus", status("Start"));
            }
            case 1 -> o.putObject("tool").set("toolStep", step());
            case 2 -> o.putObject("tool").set("response", response(spec));
            case 3 -> {
                o.set("reference", reference(position));
                o.set("sources", sources());
            }
            case 4 -> o.putObject("tool").set("toolCallStatus", status("End"));
            default -> throw new IllegalStateException("no tool part " + part);
        }
    }

    private ArrayNode toolCalls(Spec spec) {
        ObjectNode args = json.createObjectNode();
        args.put("query", spec.userText() == null ? "" : truncate(spec.userText()));
        args.put("top", 2);
        args.putArray("filters").add("lang:fr").add("type:doc");
        ArrayNode calls = json.createArrayNode();
        try {
            calls.addObject()
                    .put("id", TOOL_CALL_ID)
                    .put("name", TOOL_ID)
                    .put("type", "function")
                    .put("callId", "call_" + spec.requestId())
                    .put("arguments", json.writeValueAsString(args));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write tool arguments", e);
        }
        return calls;
    }

    private ObjectNode status(String status) {
        return json.createObjectNode().put("toolCallId", TOOL_CALL_ID).put("status", status);
    }

    private ObjectNode step() {
        return json.createObjectNode()
                .put("stepDescription", "Recherche dans l'index d'entreprise et sur le web…")
                .put("toolId", TOOL_ID);
    }

    private ObjectNode response(Spec spec) {
        ObjectNode response =
                json.createObjectNode().put("name", "Enterprise search").put("toolId", TOOL_ID);
        ObjectNode resources = response.putObject("resources");
        ObjectNode result = resources
                .putObject("enterprise")
                .putArray("results")
                .addObject()
                .put("id", "doc-1")
                .put("appId", "wiki")
                .put("type", "page")
                .put("externalId", "EXT-42")
                .put("name", "Café policy");
        ObjectNode data = result.putObject("data");
        data.put("owner", "Zoë");
        data.put("version", 3);
        data.put("score", 0.87);
        data.put("archived", false);
        data.putNull("expires");
        data.putArray("tags").add("policy").add("café");
        data.putObject("nested")
                .putObject("deeper")
                .put("thread", spec.thread())
                .put("turn", spec.turn());
        result.put("title", "Café policy (2026)")
                .put("subtitle", "Wiki › Facilities")
                .put("url", "https://wiki.example.com/pages/cafe-policy");
        resources
                .putObject("webSearch")
                .putArray("sources")
                .addObject()
                .put("id", "web-1")
                .put("url", "https://www.example.org/articles/espresso")
                .put("icon", "https://www.example.org/favicon.ico")
                .put("title", "L'espresso parfait ☕")
                .put("siteName", "Example.org")
                .put("description", "Tout sur l'espresso.");
        ObjectNode custom = resources.putObject("custom");
        custom.put("engine", "sim-search");
        custom.putArray("ranking").addObject().put("id", "doc-1").put("score", 0.87);
        custom.putObject("debug").put("latencyMs", 12).putArray("shards").add(1).add(2);
        return response;
    }

    private ObjectNode reference(int position) {
        ObjectNode ref = json.createObjectNode();
        ref.putArray("referenceIds").add("doc-1").add("web-1");
        ref.put("position", position);
        return ref;
    }

    private ObjectNode sources() {
        ObjectNode sources = json.createObjectNode();
        sources.putArray("sourcesIds").add("doc-1").add("web-1");
        return sources;
    }

    /** Splits {@code text} into {@code n} pieces of about equal code-point counts (some maybe empty). */
    static List<String> split(String text, int n) {
        int[] cps = text.codePoints().toArray();
        List<String> pieces = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int from = (int) ((long) cps.length * i / n);
            int to = (int) ((long) cps.length * (i + 1) / n);
            pieces.add(new String(cps, from, to - from));
        }
        return pieces;
    }

    private static String truncate(String s) {
        int cps = s.codePointCount(0, s.length());
        return cps <= MAX_ECHO ? s : s.substring(0, s.offsetByCodePoints(0, MAX_ECHO)) + "…";
    }
}
