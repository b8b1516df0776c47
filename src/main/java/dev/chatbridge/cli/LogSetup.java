package dev.chatbridge.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import dev.chatbridge.config.ChatBridgeConfig;
import java.util.Iterator;
import org.slf4j.LoggerFactory;

/** Switches the log lines on stderr to JSON when {@code chat.log.format=json}; human is logback.xml's default. */
public final class LogSetup {

    private LogSetup() {}

    /** Applies the format to every output-stream appender of the root logger (once, at startup). */
    public static void apply(ChatBridgeConfig.LogFormat format) {
        if (format != ChatBridgeConfig.LogFormat.JSON
                || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof OutputStreamAppender<ILoggingEvent> appender) {
                JsonEncoder encoder = new JsonEncoder();
                encoder.setContext(context);
                encoder.start();
                appender.stop();
                appender.setEncoder(encoder);
                appender.start();
            }
        }
    }
}
