package dev.chatbridge.testing;

import java.lang.reflect.Method;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that injects a {@link KafkaCluster} into test methods, lifecycle methods and constructors
 * ({@code @ExtendWith(KafkaBrokerExtension.class)} or {@link WithKafka}).
 *
 * <p>The test JVM gets ONE cluster, started on first use and kept in the root {@link ExtensionContext.Store}, which
 * closes it when the whole run ends. Which cluster: {@code KAFKA_BOOTSTRAP_SERVERS} if set, else Testcontainers'
 * {@code apache/kafka:4.4.0} when a Docker engine is reachable, else the in-process
 * {@link dev.chatbridge.devtools.broker.EmbeddedKafkaBroker}; the choice and its reason are logged once. Tests stay
 * apart by using {@link KafkaCluster#uniqueTopic} and {@link KafkaCluster#uniqueName}.
 */
public final class KafkaBrokerExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(KafkaBrokerExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == KafkaCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        SharedKafka shared = extensionContext
                .getRoot()
                .getStore(NAMESPACE)
                .getOrComputeIfAbsent(SharedKafka.class, key -> SharedKafka.start(), SharedKafka.class);
        return new KafkaCluster(shared, testName(extensionContext));
    }

    private static String testName(ExtensionContext context) {
        String className = context.getTestClass().map(Class::getSimpleName).orElse("test");
        return context.getTestMethod()
                .map(Method::getName)
                .map(method -> className + "-" + method)
                .orElse(className);
    }
}
