package dev.chatbridge.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.filter.Filter;
import dev.chatbridge.config.ChatBridgeConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Switches the log lines on stderr to JSON when {@code chat.log.format=json} (human is logback.xml's default), and lets
 * the local commands ({@code demo}, {@code sandbox}) send their log lines to a file instead of the terminal.
 */
public final class LogSetup {

    /** The line of {@code logback.xml}'s human appender, also used for the log file. */
    static final String HUMAN_PATTERN =
            "%d{ISO8601} %-5level [%thread] %logger{36} - %msg%replace( [%mdc]){' \\[\\]$', ''}%n";

    private LogSetup() {}

    /** Applies the format to every output-stream appender of the root logger (once, at startup). */
    public static void apply(ChatBridgeConfig.LogFormat format) {
        if (format != ChatBridgeConfig.LogFormat.JSON
                || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        for (OutputStreamAppender<ILoggingEvent> appender : consoleAppenders(context)) {
            appender.stop();
            appender.setEncoder(jsonEncoder(context));
            appender.start();
        }
    }

    /**
     * Until the returned handle is closed, every log line goes to {@code file} (appended, in {@code format}) and the
     * terminal shows only errors: configuration dumps and library warnings stay readable in the file without burying a
     * command's own output. The levels of logback.xml are kept, so the file holds what the terminal would have shown.
     * Closing restores the terminal. Not thread-safe: call from the thread that starts the command.
     */
    public static AutoCloseable toFile(Path file, ChatBridgeConfig.LogFormat format) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return () -> {};
        }
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        FileAppender<ILoggingEvent> fileAppender = new FileAppender<>();
        fileAppender.setContext(context);
        fileAppender.setName("chat-bridge-file");
        fileAppender.setFile(file.toString());
        fileAppender.setAppend(true);
        fileAppender.setEncoder(
                format == ChatBridgeConfig.LogFormat.JSON ? jsonEncoder(context) : humanEncoder(context));
        fileAppender.start();
        Map<OutputStreamAppender<ILoggingEvent>, List<Filter<ILoggingEvent>>> filtersBefore = new LinkedHashMap<>();
        for (OutputStreamAppender<ILoggingEvent> console : consoleAppenders(context)) {
            filtersBefore.put(console, console.getCopyOfAttachedFiltersList());
            ThresholdFilter errorsOnly = new ThresholdFilter();
            errorsOnly.setContext(context);
            errorsOnly.setLevel(Level.ERROR.levelStr);
            errorsOnly.start();
            console.addFilter(errorsOnly);
        }
        root.addAppender(fileAppender);
        return () -> {
            root.detachAppender(fileAppender);
            fileAppender.stop();
            filtersBefore.forEach((console, filters) -> {
                console.clearAllFilters();
                filters.forEach(console::addFilter);
            });
        };
    }

    private static List<OutputStreamAppender<ILoggingEvent>> consoleAppenders(LoggerContext context) {
        List<OutputStreamAppender<ILoggingEvent>> found = new ArrayList<>();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof OutputStreamAppender<ILoggingEvent> appender
                    && !(appender instanceof FileAppender)) {
                found.add(appender);
            }
        }
        return found;
    }

    private static Encoder<ILoggingEvent> jsonEncoder(LoggerContext context) {
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        encoder.start();
        return encoder;
    }

    private static Encoder<ILoggingEvent> humanEncoder(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(HUMAN_PATTERN);
        encoder.start();
        return encoder;
    }
}
