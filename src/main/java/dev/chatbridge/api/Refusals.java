package dev.chatbridge.api;

import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ProblemDetails;
import java.util.Locale;

/**
 * Names the likely cause of a {@link CallOutcome.Refused} call from what the call sent and what the problem details
 * say, so that logs and dead letters blame the key, the account, the assistant or the thread correctly. Only a guess
 * until a key check answers: the engine decides with {@link ChatApi#checkKey()}.
 *
 * <p>Precedence: problem details that name the request's assistantId, threadId or account (as a member of that name or
 * in their text) win; then a 401/403 on a call that carried {@code unleash-account} blames the account; then the status
 * alone (401/403 the key, 404 the endpoint, 3xx the redirect). Stateless.
 */
final class Refusals {

    private Refusals() {}

    /** The refusal with its likely cause named and a message that says what to check. */
    static CallOutcome.Refused classify(CallOutcome.Refused refused, ChatRequest request) {
        int status = refused.httpStatus();
        ProblemDetails problem = refused.problem();
        String account = request.getAccount();
        CallOutcome.Suspect suspect;
        String message;
        if (names(problem, "assistantId", request.getAssistantId())) {
            suspect = CallOutcome.Suspect.ASSISTANT;
            message = "the API refused assistant '" + request.getAssistantId() + "' (HTTP " + status + "): it does "
                    + "not exist, or " + (account == null ? "the key" : "the account") + " may not use it";
        } else if (names(problem, "threadId", request.getThreadId())) {
            suspect = CallOutcome.Suspect.THREAD;
            message = "the API refused thread '" + request.getThreadId() + "' (HTTP " + status + "): it does not "
                    + "exist, or " + (account == null ? "the key" : "the account") + " may not use it";
        } else if (names(problem, "account", account) || (account != null && (status == 401 || status == 403))) {
            suspect = CallOutcome.Suspect.ACCOUNT;
            message = "the API refused to act on behalf of account '" + account + "' (HTTP " + status + "): the key "
                    + "may not impersonate it, or the account is unknown or disabled";
        } else if (status == 401 || status == 403) {
            suspect = CallOutcome.Suspect.KEY;
            message = "the API refused the request with HTTP " + status + " (no account was sent): the key may not "
                    + "make this request, or the key itself is refused";
        } else if (status == 404) {
            suspect = CallOutcome.Suspect.ENDPOINT;
            message = "the API answered 404 without naming the assistant or thread: the endpoint may be missing "
                    + "(check chat.api.url)";
        } else {
            suspect = CallOutcome.Suspect.REDIRECT;
            message = refused.message() + ": a redirect is not followed (set chat.api.url to the final address)";
        }
        String detail = problem == null ? null : problem.getDetail() != null ? problem.getDetail() : problem.getTitle();
        return refused.naming(suspect, detail == null ? message : message + " - the API says: " + detail);
    }

    /** Whether the problem has a member {@code name} equal to {@code value}, or mentions the value in its text. */
    static boolean names(ProblemDetails problem, String name, String value) {
        if (problem == null || value == null || value.isBlank()) {
            return false;
        }
        String needle = value.toLowerCase(Locale.ROOT);
        String extensions = problem.getExtensionsJson();
        if (extensions != null
                && extensions.toLowerCase(Locale.ROOT).contains("\"" + name.toLowerCase(Locale.ROOT) + "\"")
                && extensions.toLowerCase(Locale.ROOT).contains(needle)) {
            return true;
        }
        return contains(problem.getDetail(), needle)
                || contains(problem.getTitle(), needle)
                || contains(problem.getInstance(), needle);
    }

    private static boolean contains(String text, String needle) {
        return text != null && text.toLowerCase(Locale.ROOT).contains(needle);
    }
}
