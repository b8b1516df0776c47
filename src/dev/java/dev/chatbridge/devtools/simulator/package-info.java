/**
 * A simulator of the assistant API ({@code POST /chats/v2}) over real HTTP, for tests, the demo and benchmarks:
 * {@link dev.chatbridge.devtools.simulator.ApiSimulator} configured by
 * {@link dev.chatbridge.devtools.simulator.SimulatorConfig}.
 *
 * <h2>Fault markers</h2>
 *
 * The text of the last message may hold {@code #fault:<kind>} or {@code #fault:<kind>x<N>} (case-insensitive): the
 * first N attempts (default 1, at most 1000) of that request get the fault, later attempts are answered; the kinds a
 * retry cannot fix ({@code 400}, {@code 400-huge}, {@code 403-account}, {@code 401-account}, {@code 404-assistant},
 * {@code 404-thread}) fail every attempt whatever N. Attempts of one request are recognised by the {@code X-Request-Id}
 * header, or by threadId and text when it is absent. Kinds:
 *
 * <ul>
 *   <li>{@code 400}: validation problem details on every attempt, whatever N;
 *   <li>{@code 400-huge}: the same on every attempt, but 1 MiB of them (exactly 1,048,576 bytes of
 *       {@code application/problem+json}): an {@code errors} map of thousands of property paths (about 640 KiB) and a
 *       {@code diagnostics} extension member with a long {@code dump} string, to test what a client keeps of a huge
 *       error answer;
 *   <li>{@code 401 403 404 405 408 409 413 415 422 425 500 503}: that status with problem details ({@code 401} with
 *       {@code WWW-Authenticate}, {@code 405} with {@code Allow});
 *   <li>{@code 403-account}: on every attempt, 403 problem details of type
 *       {@code https://api.example.com/problems/impersonation-denied} whose {@code detail} and {@code account} member
 *       name the account of the {@code unleash-account} header ("The API key may not act on behalf of
 *       'alice@example.com'."); without the header, the detail says so and there is no {@code account} member;
 *   <li>{@code 401-account}: likewise with 401, type {@code .../problems/unknown-account} (the account is unknown or
 *       disabled) and a {@code WWW-Authenticate: Bearer ...} challenge;
 *   <li>{@code 404-assistant}: on every attempt, 404 problem details of type {@code .../problems/assistant-not-found}
 *       naming the body's {@code assistantId} in {@code detail} ("Assistant 'X' was not found.") and an
 *       {@code assistantId} member;
 *   <li>{@code 404-thread}: likewise for the body's {@code threadId} ({@code .../thread-not-found}, "Thread 'T' was not
 *       found.", a {@code threadId} member);
 *   <li>{@code 502 504}: that status with an HTML page, as a gateway writes it;
 *   <li>{@code 429}: with {@code Retry-After: 1}; {@code 429date}: with an HTTP-date 1 to 2 s ahead;
 *   <li>{@code reset}: the connection is reset (TCP RST) without a response;
 *   <li>{@code hang}: nothing is sent until the client leaves or {@code maxStall} passes, then reset;
 *   <li>{@code malformed}: a 200 with a body that is not JSON (SSE: one data line);
 *   <li>{@code midstream}: a 200 SSE stream cut (connection closed) after half its events;
 *   <li>{@code slow} / {@code slow<ms>}: the answer's first byte after {@code slowDelay} or {@code <ms>} (capped at
 *       {@code maxStall}), then a normal answer;
 *   <li>{@code stall}: the first event, a pause of {@code stallPause}, then the rest;
 *   <li>{@code huge}: a 200 {@code application/json} body of exactly {@code hugeAnswerBytes} (default 17,300,000: 16.5
 *       MiB) shaped {@code {"toolCalls":[{},{},...]}}, with {@code Content-Length};
 *   <li>{@code huge-sse}: about {@code hugeAnswerBytes} of SSE when the client accepts {@code text/event-stream}:
 *       {@code data: {"toolCalls":[{},{},...]}} events of about 512 KiB each (all below 1 MiB), then the stream ends
 *       normally; {@code huge}'s JSON body otherwise;
 *   <li>{@code huge-text}: a 200 JSON answer {@code {"text":"...","requestId":"..."}} whose {@code text} is
 *       {@code hugeAnswerBytes} ASCII characters (whatever {@code Accept});
 *   <li>{@code 200-empty}: a 200 {@code application/json} {@code {}};
 *   <li>{@code 200-error}: a 200 {@code application/json} {@code {"error":{"code":"model_overloaded","message":"The
 *       model is overloaded."}}};
 *   <li>{@code 200-problem}: a 200 {@code application/problem+json} {@code {"title":"Service
 *       Unavailable","status":503,"detail":"..."}};
 *   <li>{@code 200-sse-empty}: a 200 SSE stream of three {@code data: {}} events when the client accepts
 *       {@code text/event-stream}, a JSON {@code {}} otherwise;
 *   <li>{@code 200-sse-badutf8}: a 200 SSE answer with, as its second event, a data line whose text holds bytes that
 *       are not UTF-8 (0xC3 0x28, 0xFF, 0xFE); without SSE, a JSON answer with those bytes in its text;
 *   <li>{@code 302}: a 302 with {@code Location: /_sim/login?return=%2Fchats%2Fv2} (relative); {@code /_sim/login}
 *       answers any method with a 200 HTML sign-in page, as an SSO gateway would.
 * </ul>
 *
 * The huge bodies are streamed from two shared 64 KiB blocks as the network takes them: a call costs the simulator a
 * few hundred small buffer objects, never a copy of the body.
 *
 * <h2>Refused accounts</h2>
 *
 * {@code refusedAccounts} ({@code simulate --refuse-account}) lists accounts ({@code alice@example.com}) and whole
 * domains ({@code @example.com}, not its subdomains): every call whose {@code unleash-account} header matches one,
 * ignoring case, gets the 403 of {@code 403-account} on every attempt, without a marker, before its body is read (after
 * the key check); its stats outcome is "403".
 *
 * <h2>Quotas and load</h2>
 *
 * Off by default; every caller of the simulator shares them, as the holders of one API key share its quota. Checked
 * right after the key (a call with a rejected key gets 401 and takes nothing), in this order, before the body is read;
 * a call turned away is answered at once (no latency) with {@code 429}, {@code Retry-After: <seconds>} and problem
 * details of the same shape as the other problems:
 *
 * <pre>{@code
 * {"type":"https://tools.ietf.org/html/rfc6585#section-4","title":"Too Many Requests","status":429,
 *  "detail":"Too many calls in progress (at most 64 at once). Try again later.","instance":"/chats/v2",
 *  "traceId":"00-...-...-00"}
 * }</pre>
 *
 * <ul>
 *   <li><b>Retry-After burst</b> ({@code SimulatorConfig.Builder#retryAfterBurst(N, S)},
 *       {@code ApiSimulator#retryAfterBurst(N, S)}, {@code POST /_sim/burst?calls=N&retryAfter=S}): the next N calls
 *       get 429 with {@code Retry-After: S} whatever the load ("Rate limit exceeded. Try again later."); a new burst
 *       replaces a running one, {@code calls=0} or a reset ends it. Takes no slot and no token.
 *   <li><b>Calls in progress</b> ({@code maxConcurrent}, {@code simulate --max-concurrent}): a call arriving when that
 *       many admitted calls are in progress is refused; an admitted call holds its slot until it ends (answered,
 *       failed, cut, or its client gone), whatever its outcome. Exact: no call is admitted beyond the limit.
 *   <li><b>Requests per second</b> ({@code maxRequestsPerSecond}, {@code simulate --max-rps}): a bucket4j token bucket
 *       of R tokens refilled greedily at R per second; a call that finds no token is refused. So at most R × (1 + T)
 *       calls are admitted in any T seconds (one second's worth at once after a quiet second) and R per second over a
 *       long run. A call refused by the concurrency limit takes no token.
 * </ul>
 *
 * The {@code Retry-After} of the last two is {@code retryAfterSeconds} ({@code simulate --retry-after-s}, default 1).
 *
 * <p><b>Latency that grows with load</b> ({@code queueingCapacity} C, {@code simulate --queueing-capacity}): the time
 * to first byte drawn from the latency model is multiplied by {@code min(10, 1 + max(0, n - C) / C)}, where n is the
 * number of admitted calls in progress when the call's body has been read, itself included: C calls are served at full
 * speed, and each further C calls in progress add one latency (they wait behind the others, as in a queue served by C
 * servers), capped at 10 times. Monotonic in n and bounded; latency-based adaptive limits see their baseline below C
 * and a clear rise above it. Fault delays of {@code #fault:slow} and {@code hang} are not scaled.
 *
 * <h2>Key probes</h2>
 *
 * A body whose {@code messages} is an empty array (e.g. {@code {"messages":[]}}), without an {@code unleash-account}
 * header, checks a key without asking anything: 400 validation problem details when the key is accepted, 401 when not
 * (the key is checked before the body is read). {@link dev.chatbridge.devtools.simulator.SimulatorStats#probes()}
 * counts the ones with an accepted key.
 *
 * <h2>Counters for benchmarks</h2>
 *
 * {@code GET /_sim/counters} answers a small JSON object, a {@link dev.chatbridge.devtools.simulator.SimulatorCounters}
 * (also {@link dev.chatbridge.devtools.simulator.ApiSimulator#counters()}): {@code totalCalls}, {@code finishedCalls},
 * {@code currentConcurrent}, {@code peakConcurrent}, {@code callsByStatus}, {@code busyNanos} (the integral of calls in
 * progress over time), {@code nanoTime} (the simulator's clock) and {@code quotaRefusals} (the 429s of the quotas by
 * cause: {@code {"concurrency":0,"rate":0,"burst":0}}, also counted in {@code callsByStatus["429"]}). All are
 * cumulative since start, and a reset leaves them alone (except the peak), so the mean concurrency over any window is
 * {@code delta(busyNanos) / delta(nanoTime)}, exactly, from two reads. Unlike {@code /_sim/stats}, whose size grows
 * with the threads seen (1.7 MB at 4,000 threads), it costs the same whatever the traffic. With
 * {@code SimulatorConfig.Builder#callTimings(N)} the simulator also keeps the start and end of up to N calls
 * ({@link dev.chatbridge.devtools.simulator.CallTiming}, with the {@code X-Request-Id}) until
 * {@link dev.chatbridge.devtools.simulator.ApiSimulator#drainCallTimings()} takes them.
 *
 * <h2>Other</h2>
 *
 * Unknown kinds are ignored (the call is answered). {@code #tools} in the same text adds every tool-related field to
 * the answer.
 */
package dev.chatbridge.devtools.simulator;
