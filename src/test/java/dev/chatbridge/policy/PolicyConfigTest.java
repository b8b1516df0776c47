package dev.chatbridge.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.config.ConfigLoader;
import dev.chatbridge.config.InvalidConfigurationException;
import dev.chatbridge.config.ServiceSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Every policy setting mistake is found at start, with a message that names the setting and the fix. */
@Timeout(30)
class PolicyConfigTest {

    @TempDir
    Path dir;

    static List<String> problems(String... keyValues) {
        Map<String, String> settings = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            settings.put(keyValues[i], keyValues[i + 1]);
        }
        try {
            RequestPolicy.fromProperties(settings);
        } catch (InvalidConfigurationException e) {
            assertThat(e.getMessage()).contains(e.problems().get(0));
            return e.problems();
        }
        throw new AssertionError("no problem found in " + settings);
    }

    static String[] tokenMode(String keysFile, String... more) {
        List<String> kv =
                new ArrayList<>(List.of(PolicyConfigDef.TOKEN_REQUIRED, "true", PolicyConfigDef.TOKEN_AUDIENCE, "aud"));
        if (keysFile != null) {
            kv.addAll(List.of(PolicyConfigDef.TOKEN_KEYS_FILE, keysFile));
        }
        kv.addAll(List.of(more));
        return kv.toArray(new String[0]);
    }

    @Test
    void aBadRegexShouldNameTheSettingAndTheEntry() {
        assertThat(problems(PolicyConfigDef.ACCOUNTS_ALLOWED, "regex:(unclosed@example\\.com"))
                .singleElement()
                .asString()
                .startsWith(PolicyConfigDef.ACCOUNTS_ALLOWED)
                .contains("'regex:(unclosed@example\\.com'", "not a valid Java regular expression", "comma");
        assertThat(problems(PolicyConfigDef.ACCOUNTS_DENIED, "regex:"))
                .singleElement()
                .asString()
                .startsWith(PolicyConfigDef.ACCOUNTS_DENIED)
                .contains("1 to 512");
        assertThat(problems(PolicyConfigDef.ACCOUNTS_DENIED, "regex:" + "a".repeat(600)))
                .hasSize(1);
    }

    @Test
    void badAddressAndDomainEntriesShouldBeRefused() {
        assertThat(problems(PolicyConfigDef.ACCOUNTS_ALLOWED, "alice, @, @*., @*.*.example.com, bob@@x.test"))
                .hasSize(5)
                .allSatisfy(p -> assertThat(p).startsWith(PolicyConfigDef.ACCOUNTS_ALLOWED + " entry"));
    }

    @Test
    void rolesAndNoAccountShouldBeChecked() {
        assertThat(problems(PolicyConfigDef.ROLES_ALLOWED, "User,Admin"))
                .singleElement()
                .asString()
                .contains(PolicyConfigDef.ROLES_ALLOWED, "Admin");
        assertThat(problems(PolicyConfigDef.ROLES_ALLOWED, ""))
                .singleElement()
                .asString()
                .contains(PolicyConfigDef.ROLES_ALLOWED);
        assertThat(problems(PolicyConfigDef.NO_ACCOUNT, "MAYBE"))
                .singleElement()
                .asString()
                .contains(PolicyConfigDef.NO_ACCOUNT);
    }

    @Test
    void tokenModeShouldNeedAnAudienceAndAKeysFile() {
        assertThat(problems(PolicyConfigDef.TOKEN_REQUIRED, "true"))
                .anySatisfy(p -> assertThat(p).startsWith(PolicyConfigDef.TOKEN_KEYS_FILE + " is not set"))
                .anySatisfy(p -> assertThat(p).startsWith(PolicyConfigDef.TOKEN_AUDIENCE + " is not set"));
    }

    @Test
    void anUnreadableOrUnsuitableKeysFileShouldBeNamed() throws IOException {
        assertThat(problems(tokenMode(dir.resolve("missing.json").toString())))
                .singleElement()
                .asString()
                .startsWith(PolicyConfigDef.TOKEN_KEYS_FILE + "=")
                .contains("cannot be read");
        assertThat(problems(tokenMode(dir.toString())))
                .singleElement()
                .asString()
                .contains("cannot be read");
        Path junk = Files.writeString(dir.resolve("junk.txt"), "hello", StandardCharsets.UTF_8);
        assertThat(problems(tokenMode(junk.toString())))
                .singleElement()
                .asString()
                .contains("neither a JWK Set");
        Path badJson = Files.writeString(dir.resolve("bad.json"), "{\"keys\": 3}", StandardCharsets.UTF_8);
        assertThat(problems(tokenMode(badJson.toString())))
                .singleElement()
                .asString()
                .contains("not a valid JWK Set");
        Path none = Files.writeString(dir.resolve("none.json"), "{\"keys\": []}", StandardCharsets.UTF_8);
        assertThat(problems(tokenMode(none.toString())))
                .singleElement()
                .asString()
                .contains("holds no key");
        Path privatePem = Files.writeString(
                dir.resolve("private.pem"),
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                StandardCharsets.US_ASCII);
        assertThat(problems(tokenMode(privatePem.toString())))
                .singleElement()
                .asString()
                .contains("PRIVATE KEY", "only PUBLIC KEY and CERTIFICATE");
    }

    @Test
    void privateSymmetricWeakAndEncryptionKeysShouldBeRefused() throws GeneralSecurityException, IOException {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        KeyPair pair = gen.generateKeyPair();
        gen.initialize(1024);
        KeyPair weak = gen.generateKeyPair();
        KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
        ecGen.initialize(new ECGenParameterSpec("secp256r1"));
        ECPublicKey ec = (ECPublicKey) ecGen.generateKeyPair().getPublic();
        JWKSet set = new JWKSet(List.of(
                new RSAKey.Builder((RSAPublicKey) pair.getPublic())
                        .privateKey((RSAPrivateKey) pair.getPrivate())
                        .keyID("private")
                        .build(),
                new OctetSequenceKey.Builder(new byte[32]).keyID("hmac").build(),
                new RSAKey.Builder((RSAPublicKey) weak.getPublic())
                        .keyID("weak")
                        .build(),
                new ECKey.Builder(Curve.P_256, ec)
                        .keyID("enc")
                        .keyUse(KeyUse.ENCRYPTION)
                        .build()));
        Path file = Files.writeString(dir.resolve("mixed.json"), set.toString(false), StandardCharsets.UTF_8);
        List<String> problems = problems(tokenMode(file.toString()));
        assertThat(problems).hasSize(4).allSatisfy(p -> assertThat(p).startsWith(PolicyConfigDef.TOKEN_KEYS_FILE));
        assertThat(String.join("\n", problems))
                .contains(
                        "kid=private holds private key material",
                        "kid=hmac is of type oct",
                        "HMAC",
                        "kid=weak is an RSA key of 1024 bits",
                        "kid=enc has use=enc");
    }

    @Test
    void serviceSettingsShouldReportPolicyProblemsWithTheirEnvironmentVariable() {
        ChatBridgeConfig config = ConfigLoader.load(
                        Map.of(PolicyConfigDef.ACCOUNTS_ALLOWED, "regex:(", PolicyConfigDef.TOKEN_REQUIRED, "true"),
                        Map.of(),
                        null)
                .parse();
        assertThatThrownBy(() -> ServiceSettings.requestPolicy(config))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("CHAT_BRIDGE_POLICY_ACCOUNTS_ALLOWED")
                .hasMessageContaining("CHAT_BRIDGE_POLICY_TOKEN_KEYS_FILE")
                .hasMessageContaining("CHAT_BRIDGE_POLICY_TOKEN_AUDIENCE");
        assertThatThrownBy(() -> ServiceSettings.forRun(config))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(PolicyConfigDef.ACCOUNTS_ALLOWED);
        ChatBridgeConfig none = ConfigLoader.load(Map.of(), Map.of(), null).parse();
        assertThat(ServiceSettings.requestPolicy(none).permitsAll()).isTrue();
    }

    @Test
    void listsShouldParseFromOneStringAsTheConfigurationDoes() {
        ChatBridgeConfig config = ConfigLoader.load(
                        Map.of(
                                PolicyConfigDef.ACCOUNTS_ALLOWED,
                                " alice@example.com , @example.org ",
                                PolicyConfigDef.ROLES_ALLOWED,
                                "User"),
                        Map.of(),
                        null)
                .parse();
        RequestPolicy policy = ServiceSettings.requestPolicy(config);
        assertThat(policy.denial(RequestPolicyTest.request("x@example.org", null), null))
                .isNull();
        assertThat(policy.denial(RequestPolicyTest.request("alice@example.com", null), null))
                .isNull();
        assertThat(policy.denial(RequestPolicyTest.request("x@example.com", null), null))
                .isNotNull();
    }
}
