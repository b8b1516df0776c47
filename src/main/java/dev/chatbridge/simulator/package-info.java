/**
 * A simulator of the assistant API ({@code POST /chats/v2}) over real HTTP, for tests, the demo
 * and benchmarks: {@link dev.chatbridge.simulator.ApiSimulator} configured by
 * {@link dev.chatbridge.simulator.SimulatorConfig}.
 *
 * <h2>Fault markers</h2>
 * The text of the last message may hold {@code #fault:<kind>} or {@code #fault:<kind>x<N>}
 * (case-insensitive): the first N attempts (default 1, at most 1000) of that request get the
 * fault, later attempts are answered. Attempts of one request are recognised by the
 * {@code X-Request-Id} header, or by threadId and text when it is absent. Kinds:
 * <ul>
 *   <li>{@code 400}: validation problem details on every attempt, whatever N;</li>
 *   <li>{@code 400-huge}: the same on every attempt, but 1 MiB of them (exactly 1,048,576 bytes of
 *       {@code application/problem+json}): an {@code errors} map of thousands of property paths
 *       (about 640 KiB) and a {@code diagnostics} extension member with a long {@code dump}
 *       string, to test what a client keeps of a huge error answer;</li>
 *   <li>{@code 401 403 404 405 408 409 413 415 422 425 500 503}: that status with problem
 *       details ({@code 401} with {@code WWW-Authenticate}, {@code 405} with {@code Allow});</li>
 *   <li>{@code 502 504}: that status with an HTML page, as a gateway writes it;</li>
 *   <li>{@code 429}: with {@code Retry-After: 1}; {@code 429date}: with an HTTP-date 1 to 2 s ahead;</li>
 *   <li>{@code reset}: the connection is reset (TCP RST) without a response;</li>
 *   <li>{@code hang}: nothing is sent until the client leaves or {@code maxStall} passes, then reset;</li>
 *   <li>{@code malformed}: a 200 with a body that is not JSON (SSE: one data line);</li>
 *   <li>{@code midstream}: a 200 SSE stream cut (connection closed) after half its events;</li>
 *   <li>{@code slow} / {@code slow<ms>}: the answer's first byte after {@code slowDelay} or
 *       {@code <ms>} (capped at {@code maxStall}), then a normal answer;</li>
 *   <li>{@code stall}: the first event, a pause of {@code stallPause}, then the rest.</li>
 * </ul>
 * Unknown kinds are ignored (the call is answered). {@code #tools} in the same text adds every
 * tool-related field to the answer.
 */
package dev.chatbridge.simulator;
