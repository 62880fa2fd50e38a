import java.io.FileReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * TLS, SASL and authorization. Each scenario names client property files (bootstrap and
 * security settings) after a colon: roundtrip:FILE (admin, idempotent producer and a group
 * consumer over that connection, byte-exact), badauth:FILE (the login must be refused),
 * scram:ADMIN_FILE:USER_FILE (create the user's SCRAM credentials, log in with them, delete
 * them, be refused), acls:ADMIN_FILE:USER_FILE (ACLs granted, checked and removed).
 */
public class Secure {
    final String run = UUID.randomUUID().toString().substring(0, 8);

    public static void main(String[] args) {
        Secure s = new Secure();
        for (String scenario : args) {
            String[] parts = scenario.split(":");
            switch (parts[0]) {
                case "roundtrip" -> Out.run(scenario, r -> s.roundtrip(r, load(parts[1])));
                case "badauth" -> Out.run(scenario, r -> s.badauth(r, load(parts[1])));
                case "scram" -> Out.run(scenario, r -> s.scram(r, load(parts[1]), load(parts[2])));
                case "acls" -> Out.run(scenario, r -> s.acls(r, load(parts[1]), load(parts[2])));
                default -> throw new IllegalArgumentException(scenario);
            }
        }
    }

    static Properties load(String path) throws IOException {
        Properties p = new Properties();
        try (Reader r = new FileReader(path, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }

    static Properties with(Properties base, Object... kv) {
        Properties p = new Properties();
        p.putAll(base);
        for (int i = 0; i < kv.length; i += 2) p.put(kv[i], kv[i + 1]);
        return p;
    }

    static Admin admin(Properties conf) {
        return Admin.create(with(conf, "default.api.timeout.ms", "15000",
                "request.timeout.ms", "10000"));
    }

    static KafkaProducer<byte[], byte[]> producer(Properties conf) {
        return new KafkaProducer<>(with(conf,
                "key.serializer", ByteArraySerializer.class.getName(),
                "value.serializer", ByteArraySerializer.class.getName(),
                "compression.type", "gzip", "delivery.timeout.ms", "15000",
                "request.timeout.ms", "10000", "max.block.ms", "15000"));
    }

    static String outcome(Exception e) {
        Throwable c = e;
        while (c.getCause() != null && !(c instanceof org.apache.kafka.common.KafkaException
                && c.getClass() != org.apache.kafka.common.KafkaException.class)) {
            c = c.getCause();
        }
        return c.getClass().getSimpleName();
    }

    /** Produce `values` to partition 0 of a new topic and read them back with a group. */
    List<String> roundtripValues(Properties conf, String topic, List<byte[]> values)
            throws Exception {
        try (Admin a = admin(conf)) {
            a.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        try (KafkaProducer<byte[], byte[]> p = producer(conf)) {
            for (byte[] v : values) p.send(new ProducerRecord<>(topic, 0, v, v)).get();
        }
        List<String> problems = new ArrayList<>();
        List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(with(conf,
                "key.deserializer", ByteArrayDeserializer.class.getName(),
                "value.deserializer", ByteArrayDeserializer.class.getName(),
                "group.id", topic + "-g", "auto.offset.reset", "earliest",
                "enable.auto.commit", "false"))) {
            c.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 20_000;
            while (got.size() < values.size() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) got.add(r);
            }
            c.commitSync();
        }
        if (got.size() != values.size()) {
            problems.add("read " + got.size() + " of " + values.size());
        }
        for (int i = 0; i < Math.min(got.size(), values.size()); i++) {
            if (!Arrays.equals(got.get(i).value(), values.get(i))
                    || !Arrays.equals(got.get(i).key(), values.get(i))) {
                problems.add("record " + i + " differs");
            }
        }
        return problems;
    }

    static List<byte[]> values(int n) {
        List<byte[]> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String text = ("secure record " + i + " ").repeat(1 + i % 5);
            byte[] v = text.getBytes(StandardCharsets.UTF_8);
            v[0] = (byte) i; // some non-text bytes
            l.add(v);
        }
        return l;
    }

    void roundtrip(Map<String, Object> r, Properties conf) throws Exception {
        r.put("problems", roundtripValues(conf, "java-sec-" + UUID.randomUUID(), values(50)));
    }

    void badauth(Map<String, Object> r, Properties conf) {
        long start = System.currentTimeMillis();
        try (Admin a = admin(conf)) {
            a.listTopics().names().get();
            r.put("admin", "ok");
        } catch (Exception e) {
            r.put("admin", outcome(e));
        }
        try (KafkaProducer<byte[], byte[]> p = producer(conf)) {
            p.send(new ProducerRecord<>("java-badauth", new byte[] {1})).get();
            r.put("producer", "ok");
        } catch (Exception e) {
            r.put("producer", outcome(e));
        }
        r.put("elapsed_ms", System.currentTimeMillis() - start);
    }

    void scram(Map<String, Object> r, Properties adminConf, Properties userConf)
            throws Exception {
        String user = userConf.getProperty("x.user");
        String password = userConf.getProperty("x.password");
        UserScramCredentialUpsertion sha256 = new UserScramCredentialUpsertion(user,
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), password);
        UserScramCredentialUpsertion sha512 = new UserScramCredentialUpsertion(user,
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password);
        try (Admin a = admin(adminConf)) {
            // Kafka alters a user at most once per request, whatever the mechanisms
            try {
                a.alterUserScramCredentials(List.of(sha256, sha512)).all().get();
                r.put("both_in_one_request", "ok");
            } catch (Exception e) {
                r.put("both_in_one_request", outcome(e));
            }
            a.alterUserScramCredentials(List.of(sha256)).all().get();
            a.alterUserScramCredentials(List.of(sha512)).all().get();
            UserScramCredentialsDescription d =
                    a.describeUserScramCredentials(List.of(user)).description(user).get();
            Map<String, Integer> infos = new TreeMap<>();
            for (ScramCredentialInfo i : d.credentialInfos()) {
                infos.put(i.mechanism().mechanismName(), i.iterations());
            }
            r.put("described", infos);
            r.put("listed", a.describeUserScramCredentials().users().get().contains(user));
            r.put("login_problems", roundtripValues(userConf, "java-scram-" + run, values(5)));
            for (ScramMechanism m : List.of(ScramMechanism.SCRAM_SHA_256,
                    ScramMechanism.SCRAM_SHA_512)) {
                a.alterUserScramCredentials(List.of(new UserScramCredentialDeletion(user, m)))
                        .all().get();
            }
            try {
                a.describeUserScramCredentials(List.of(user)).description(user).get();
                r.put("describe_deleted", "ok");
            } catch (Exception e) {
                r.put("describe_deleted", outcome(e));
            }
        }
        Map<String, Object> after = new TreeMap<>();
        badauth(after, userConf);
        r.put("after_delete", after.get("admin"));
    }

    void acls(Map<String, Object> r, Properties adminConf, Properties userConf) throws Exception {
        String user = "User:" + userConf.getProperty("x.user");
        String prefix = "java-acl-" + run + ".";
        String allowed = prefix + "mine";
        String other = "java-acl-other-" + run;
        List<AclBinding> bindings = List.of(
                new AclBinding(
                        new ResourcePattern(ResourceType.TOPIC, prefix, PatternType.PREFIXED),
                        new AccessControlEntry(user, "*", AclOperation.ALL,
                                AclPermissionType.ALLOW)),
                new AclBinding(
                        new ResourcePattern(ResourceType.GROUP, prefix, PatternType.PREFIXED),
                        new AccessControlEntry(user, "*", AclOperation.READ,
                                AclPermissionType.ALLOW)));
        AclBindingFilter mine = new AclBindingFilter(ResourcePatternFilter.ANY,
                new AccessControlEntryFilter(user, null, AclOperation.ANY, AclPermissionType.ANY));
        try (Admin a = admin(adminConf)) {
            a.createTopics(List.of(new NewTopic(allowed, 1, (short) 1),
                    new NewTopic(other, 1, (short) 1))).all().get();
            a.createAcls(bindings).all().get();
            Collection<AclBinding> described = a.describeAcls(mine).values().get();
            r.put("described", described.size());
            r.put("described_match", described.containsAll(bindings));
            r.put("describe_topic_filter", a.describeAcls(new AclBindingFilter(
                    new ResourcePatternFilter(ResourceType.TOPIC, allowed, PatternType.MATCH),
                    AccessControlEntryFilter.ANY)).values().get().size());
            try (KafkaProducer<byte[], byte[]> p = producer(userConf)) {
                r.put("produce_allowed", offsetOrError(p, allowed));
                r.put("produce_denied", offsetOrError(p, other));
            }
            try (Admin ua = admin(userConf)) {
                List<String> visible = new ArrayList<>(ua.listTopics().names().get());
                visible.sort(null);
                r.put("user_sees", visible);
                try {
                    ua.createTopics(List.of(new NewTopic(prefix + "new", 1, (short) 1)))
                            .all().get();
                    r.put("user_create_prefixed", "ok");
                } catch (Exception e) {
                    r.put("user_create_prefixed", outcome(e));
                }
                try {
                    ua.describeAcls(AclBindingFilter.ANY).values().get();
                    r.put("user_describe_acls", "ok");
                } catch (Exception e) {
                    r.put("user_describe_acls", outcome(e));
                }
            }
            Collection<AclBinding> deleted = a.deleteAcls(List.of(mine)).all().get();
            r.put("deleted", deleted.size());
            r.put("after_delete", a.describeAcls(mine).values().get().size());
            try (KafkaProducer<byte[], byte[]> p = producer(userConf)) {
                r.put("produce_after_delete", offsetOrError(p, allowed));
            }
        }
    }

    static Object offsetOrError(KafkaProducer<byte[], byte[]> p, String topic) {
        try {
            return p.send(new ProducerRecord<>(topic, 0, null, new byte[] {42})).get().offset();
        } catch (Exception e) {
            return outcome(e);
        }
    }
}
