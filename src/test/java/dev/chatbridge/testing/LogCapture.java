package dev.chatbridge.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Every log line of the process while open: a list appender on the root logger, with chosen loggers turned up to a
 * chosen level; {@link #close()} detaches it and restores the levels. Used to prove that a secret shows up in no log
 * line.
 *
 * <p>Threads: lines are appended by any logging thread (the appender is synchronised); open and close belong to the
 * test thread.
 */
public final class LogCapture implements AutoCloseable {

    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Map<String, Level> previous = new LinkedHashMap<>();

    private LogCapture(Map<String, Level> levels) {
        appender.setContext(context);
        appender.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(appender);
        levels.forEach((name, level) -> {
            Logger logger = context.getLogger(name);
            previous.put(name, logger.getLevel());
            logger.setLevel(level);
        });
    }

    /** Starts capturing, with each named logger set to its level until {@link #close()}. */
    public static LogCapture start(Map<String, Level> levels) {
        return new LogCapture(levels);
    }

    /** The lines captured so far. */
    public List<ILoggingEvent> events() {
        synchronized (appender) {
            return List.copyOf(appender.list);
        }
    }

    /** Forgets the lines captured so far (after a test planted a secret on purpose). */
    public void clear() {
        synchronized (appender) {
            appender.list.clear();
        }
    }

    /** Captured lines whose message or any exception message in its cause chain contains one of {@code secrets}. */
    public List<String> linesContaining(String... secrets) {
        List<String> found = new ArrayList<>();
        for (ILoggingEvent event : events()) {
            StringBuilder line =
                    new StringBuilder(event.getLoggerName()).append(": ").append(event.getFormattedMessage());
            for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                line.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
            }
            for (String secret : secrets) {
                if (line.indexOf(secret) >= 0) {
                    found.add(line.toString());
                    break;
                }
            }
        }
        return found;
    }

    @Override
    public void close() {
        context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(appender);
        appender.stop();
        previous.forEach((name, level) -> context.getLogger(name).setLevel(level));
    }
}
