package dev.chatbridge.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.MessageRole;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The account, assistant and role rules of {@link RequestPolicy}, without tokens. */
@Timeout(10)
class RequestPolicyTest {

    static ChatRequest request(String account, String assistantId, MessageRole... roles) {
        List<ChatMessage> messages = Arrays.stream(roles.length == 0 ? new MessageRole[] {MessageRole.User} : roles)
                .map(r -> new ChatMessage(r, "hello"))
                .toList();
        return ChatRequest.newBuilder()
                .setRequestId("r-1")
                .setAccount(account)
                .setAssistantId(assistantId)
                .setMessages(messages)
                .build();
    }

    static RequestPolicy policy(String... keyValues) {
        Map<String, String> settings = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            settings.put(keyValues[i], keyValues[i + 1]);
        }
        return RequestPolicy.fromProperties(settings);
    }

    @Test
    void permitAllShouldAllowEverythingAndReadNoHeaders() {
        RequestPolicy policy = RequestPolicy.permitAll();
        assertThat(policy.permitsAll()).isTrue();
        assertThat(policy.tokensRequired()).isFalse();
        assertThat(policy.identify(null, Instant.now())).isEqualTo(ProducerIdentity.NONE);
        assertThat(policy.denial(request("anyone@anywhere.test", "any", MessageRole.System), ProducerIdentity.NONE))
                .isNull();
        assertThat(policy.denial(request(null, null), null)).isNull();
        assertThat(policy.describe()).contains("none");
    }

    @Test
    void noSettingsShouldBeThePermitAllPolicy() {
        RequestPolicy policy = policy();
        assertThat(policy.permitsAll()).isTrue();
        assertThat(policy.denial(request("  odd account ", null), ProducerIdentity.NONE))
                .isNull();
    }

    @Test
    void exactAddressShouldMatchCaseInsensitivelyAndDenyOthers() {
        RequestPolicy policy = policy(PolicyConfigDef.ACCOUNTS_ALLOWED, "Alice@Example.com");
        assertThat(policy.permitsAll()).isFalse();
        assertThat(policy.denial(request("alice@example.com", null), ProducerIdentity.NONE))
                .isNull();
        assertThat(policy.denial(request("ALICE@EXAMPLE.COM", null), ProducerIdentity.NONE))
                .isNull();
        assertThat(policy.denial(request("bob@example.com", null), ProducerIdentity.NONE))
                .contains("'bob@example.com'", PolicyConfigDef.ACCOUNTS_ALLOWED, "add the address");
    }

    @Test
    void domainRuleShouldMatchThatDomainOnly() {
        RequestPolicy policy = policy(PolicyConfigDef.ACCOUNTS_ALLOWED, "@example.com");
        assertThat(policy.denial(request("carol@example.com", null), null)).isNull();
        assertThat(policy.denial(request("carol@EXAMPLE.com", null), null)).isNull();
        assertThat(policy.denial(request("carol@eu.example.com", null), null))
                .contains(PolicyConfigDef.ACCOUNTS_ALLOWED);
        assertThat(policy.denial(request("carol@badexample.com", null), null)).isNotNull();
        assertThat(policy.denial(request("carol@example.com.evil.test", null), null))
                .isNotNull();
    }

    @Test
    void subDomainRuleShouldMatchSubDomainsAtAnyDepthButNotTheDomain() {
        RequestPolicy policy = policy(PolicyConfigDef.ACCOUNTS_ALLOWED, "@*.example.com");
        assertThat(policy.denial(request("dan@eu.example.com", null), null)).isNull();
        assertThat(policy.denial(request("dan@a.b.example.com", null), null)).isNull();
        assertThat(policy.denial(request("dan@example.com", null), null)).isNotNull();
        assertThat(policy.denial(request("dan@badexample.com", null), null)).isNotNull();
    }

    @Test
    void patternRuleShouldMatchTheWholeAddressCaseInsensitively() {
        RequestPolicy policy = policy(PolicyConfigDef.ACCOUNTS_ALLOWED, "regex:team-[a-z]+@example\\.com");
        assertThat(policy.denial(request("team-red@example.com", null), null)).isNull();
        assertThat(policy.denial(request("TEAM-Blue@Example.com", null), null)).isNull();
        assertThat(policy.denial(request("xteam-red@example.com", null), null)).isNotNull();
        assertThat(policy.denial(request("team-red@example.com.evil.test", null), null))
                .isNotNull();
        assertThat(policy.denial(request("team-42@example.com", null), null)).isNotNull();
    }

    @Test
    void aCatastrophicPatternShouldBeCutOffAndFailClosed() {
        String evil = "regex:(.*a){12}b"; // about 5 * 10^8 character reads without the budget
        String account = "a".repeat(26) + "@x.test";
        RequestPolicy allow = policy(PolicyConfigDef.ACCOUNTS_ALLOWED, evil);
        assertThat(allow.denial(request(account, null), null)).contains("is not allowed");
        RequestPolicy deny = policy(PolicyConfigDef.ACCOUNTS_DENIED, evil);
        assertThat(deny.denial(request(account, null), null)).contains(PolicyConfigDef.ACCOUNTS_DENIED);
    }

    @Test
    void denyListShouldWinOverTheAllowList() {
        RequestPolicy policy = policy(
                PolicyConfigDef.ACCOUNTS_ALLOWED,
                "@example.com",
                PolicyConfigDef.ACCOUNTS_DENIED,
                "admin@example.com, regex:svc-.*@example\\.com");
        assertThat(policy.denial(request("erin@example.com", null), null)).isNull();
        assertThat(policy.denial(request("Admin@Example.com", null), null))
                .contains(PolicyConfigDef.ACCOUNTS_DENIED, "'admin@example.com'", "wins");
        assertThat(policy.denial(request("svc-billing@example.com", null), null))
                .contains("'regex:svc-.*@example\\.com'");
    }

    @Test
    void aDenyListAloneShouldAllowOtherAccounts() {
        RequestPolicy policy = policy(PolicyConfigDef.ACCOUNTS_DENIED, "@ops.example.com");
        assertThat(policy.denial(request("frank@example.com", null), null)).isNull();
        assertThat(policy.denial(request("root@ops.example.com", null), null)).isNotNull();
    }

    @Test
    void accountsThatAreNotPlainAddressesShouldBeDeniedOnceRulesExist() {
        RequestPolicy policy = policy(PolicyConfigDef.ACCOUNTS_DENIED, "admin@example.com");
        for (String odd : List.of(
                "admin@example.com.",
                "admin@example.com ",
                " admin@example.com",
                "adm\u0131n@example.com",
                "\"admin\"@example.com",
                "admin@@example.com",
                "admin",
                "",
                "a@b@example.com",
                "admin@.example.com",
                "x".repeat(400) + "@example.com")) {
            assertThat(policy.denial(request(odd, null), null)).as(odd).contains("not a plain address");
        }
    }

    @Test
    void noAccountShouldBeAllowedWithoutRulesAndDeniedByDefaultWithRules() {
        assertThat(policy(PolicyConfigDef.ROLES_ALLOWED, "User").denial(request(null, null), null))
                .isNull();
        assertThat(policy(PolicyConfigDef.ACCOUNTS_ALLOWED, "@example.com").denial(request(null, null), null))
                .contains("no account", PolicyConfigDef.NO_ACCOUNT + "=ALLOW");
        assertThat(policy(PolicyConfigDef.ACCOUNTS_DENIED, "root@example.com").denial(request(null, null), null))
                .contains("API key's own user");
        assertThat(policy(PolicyConfigDef.ACCOUNTS_ALLOWED, "@example.com", PolicyConfigDef.NO_ACCOUNT, "allow")
                        .denial(request(null, null), null))
                .isNull();
        assertThat(policy(PolicyConfigDef.NO_ACCOUNT, "DENY").denial(request(null, null), null))
                .isNotNull();
        assertThat(policy(PolicyConfigDef.NO_ACCOUNT, "DENY").denial(request("g@example.com", null), null))
                .isNull();
    }

    @Test
    void assistantsShouldBeListedAndTheDefaultAssistantExpressedExplicitly() {
        RequestPolicy policy = policy(PolicyConfigDef.ASSISTANTS_ALLOWED, "hr-bot,it-bot");
        assertThat(policy.denial(request("h@example.com", "hr-bot"), null)).isNull();
        assertThat(policy.denial(request("h@example.com", "HR-bot"), null))
                .contains("'HR-bot'", PolicyConfigDef.ASSISTANTS_ALLOWED);
        assertThat(policy.denial(request("h@example.com", null), null))
                .contains("no assistantId", PolicyConfigDef.DEFAULT_ASSISTANT);
        RequestPolicy withDefault =
                policy(PolicyConfigDef.ASSISTANTS_ALLOWED, "hr-bot," + PolicyConfigDef.DEFAULT_ASSISTANT);
        assertThat(withDefault.denial(request("h@example.com", null), null)).isNull();
        assertThat(withDefault.denial(request("h@example.com", "other"), null)).isNotNull();
        RequestPolicy onlyDefault = policy(PolicyConfigDef.ASSISTANTS_ALLOWED, PolicyConfigDef.DEFAULT_ASSISTANT);
        assertThat(onlyDefault.denial(request("h@example.com", null), null)).isNull();
        assertThat(onlyDefault.denial(request("h@example.com", "hr-bot"), null)).isNotNull();
    }

    @Test
    void rolesShouldBeRestricted() {
        RequestPolicy policy = policy(PolicyConfigDef.ROLES_ALLOWED, "User,Assistant");
        assertThat(policy.denial(request(null, null, MessageRole.User, MessageRole.Assistant, MessageRole.User), null))
                .isNull();
        assertThat(policy.denial(request(null, null, MessageRole.User, MessageRole.System), null))
                .contains("messages[1]", "System", PolicyConfigDef.ROLES_ALLOWED + "=User,Assistant");
        ChatRequest noRole = new ChatRequest(
                "r",
                null,
                null,
                null,
                Arrays.asList(new ChatMessage(MessageRole.User, "x"), null, new ChatMessage(null, "x")),
                Map.of(),
                null);
        assertThat(policy.denial(noRole, null)).contains("messages[1]", "(none)");
    }

    @Test
    void denialShouldNotThrowForBadInput() {
        RequestPolicy policy =
                policy(PolicyConfigDef.ACCOUNTS_ALLOWED, "@example.com", PolicyConfigDef.ROLES_ALLOWED, "User");
        assertThat(policy.denial(null, null)).isNotNull();
        ChatRequest broken = new ChatRequest("r", null, null, "i@example.com", null, Map.of(), null);
        assertThat(policy.denial(broken, null)).isNull();
        assertThat(policy.identify(new RecordHeaders(), Instant.now())).isEqualTo(ProducerIdentity.NONE);
    }

    @Test
    void describeShouldSummariseWithoutAddresses() {
        RequestPolicy policy = policy(
                PolicyConfigDef.ACCOUNTS_ALLOWED, "secret-person@example.com", PolicyConfigDef.ROLES_ALLOWED, "User");
        assertThat(policy.describe())
                .contains("by rules", "no account denied", "roles User", "tokens off")
                .doesNotContain("secret-person");
    }
}
