import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.SubscriptionPattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Consumer groups with several members in threads, records produced while members join and
 * leave. Scenarios: eager (classic protocol, range assignor), cooperative (classic,
 * CooperativeStickyAssignor), consumer (KIP-848, group.protocol=consumer), static (classic
 * static membership: a restarted member with the same group.instance.id gets its partitions
 * back without a rebalance), regex (pattern subscriptions: the classic client matches topics
 * itself, a KIP-848 member sends the regex to the broker; a topic created later joins).
 *
 * <p>Every member commits what it processed after each poll and when partitions are revoked,
 * so each record must be seen exactly once across the group.
 */
public class Groups {
    static final int PARTITIONS = 6;

    final Out out;
    final String run = UUID.randomUUID().toString().substring(0, 8);

    Groups(Out out) {
        this.out = out;
    }

    public static void main(String[] args) {
        Out out = new Out(args);
        Groups g = new Groups(out);
        for (String s : out.scenarios) {
            switch (s) {
                case "eager" -> Out.run(s, r -> g.churn(r, s, "partition.assignment.strategy",
                        "org.apache.kafka.clients.consumer.RangeAssignor"));
                case "cooperative" -> Out.run(s, r -> g.churn(r, s, "partition.assignment.strategy",
                        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"));
                case "consumer" -> Out.run(s, r -> g.churn(r, s, "group.protocol", "consumer"));
                case "static" -> Out.run(s, g::staticMembers);
                case "regex" -> Out.run(s, g::regex);
                default -> throw new IllegalArgumentException(s);
            }
        }
    }

    /** A group member polling in its own thread; records what it saw and was assigned. */
    final class Member implements Runnable, ConsumerRebalanceListener {
        final String name;
        final KafkaConsumer<String, String> consumer;
        final String topic;
        final Map<String, Integer> seen;
        final Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
        final List<String> errors;
        volatile Set<Integer> assignment = Set.of();
        volatile int generation = -1;
        volatile boolean stop;
        volatile int commitRetries;
        final Thread thread = new Thread(this);

        Member(String name, String topic, Properties conf, Map<String, Integer> seen,
               List<String> errors) {
            this.name = name;
            this.topic = topic;
            this.seen = seen;
            this.errors = errors;
            consumer = new KafkaConsumer<>(conf);
        }

        Member start() {
            thread.start();
            return this;
        }

        @Override
        public void run() {
            try {
                consumer.subscribe(List.of(topic), this);
                while (!stop) {
                    process(consumer.poll(Duration.ofMillis(100)));
                    commit();
                    generation = consumer.groupMetadata().generationId();
                }
                // leave with everything processed committed; a rebalance in the way
                // completes in poll (whose records are processed and committed too)
                long deadline = System.currentTimeMillis() + 10_000;
                while (!pending.isEmpty() && System.currentTimeMillis() < deadline) {
                    process(consumer.poll(Duration.ofMillis(50)));
                    commit();
                }
                if (!pending.isEmpty()) errors.add(name + " left uncommitted " + pending);
            } catch (Exception e) {
                errors.add(name + ": " + e);
            } finally {
                try {
                    consumer.close();
                } catch (Exception e) {
                    errors.add(name + " close: " + e);
                }
                assignment = Set.of();
            }
        }

        private void process(ConsumerRecords<String, String> records) {
            for (ConsumerRecord<String, String> r : records) {
                seen.merge(r.value(), 1, Integer::sum);
                pending.put(new TopicPartition(r.topic(), r.partition()),
                        new OffsetAndMetadata(r.offset() + 1));
            }
        }

        /**
         * Commit what was processed; a refused commit stays pending and is retried after
         * the next poll, or made when the partitions are revoked. Refusals that a rebalance
         * explains: between polls a classic member may be in one (a cooperative member keeps
         * fetching through it) and the client refuses with RebalanceInProgressException; a
         * KIP-848 member's commit that crosses the heartbeat raising its member epoch is
         * answered STALE_MEMBER_EPOCH, as Kafka answers it, which the client raises as
         * CommitFailedException. A member that was really fenced or removed gets its
         * partitions lost, which is reported.
         */
        private void commit() {
            if (pending.isEmpty()) return;
            try {
                consumer.commitSync(pending);
                pending.clear();
            } catch (RebalanceInProgressException | CommitFailedException e) {
                commitRetries++;
            }
        }

        void stopAndJoin() throws InterruptedException {
            stop = true;
            thread.join(30_000);
            if (thread.isAlive()) errors.add(name + " did not stop");
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            Map<TopicPartition, OffsetAndMetadata> mine = new HashMap<>();
            for (TopicPartition tp : partitions) {
                if (pending.containsKey(tp)) mine.put(tp, pending.remove(tp));
            }
            if (!mine.isEmpty()) consumer.commitSync(mine);
            update();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            update();
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            // close() calls partitions lost, not revoked, when it interrupts a rebalance:
            // harmless once their offsets are committed
            if (!stop || partitions.stream().anyMatch(pending::containsKey)) {
                errors.add(name + " lost " + partitions);
            }
            partitions.forEach(pending::remove);
            update();
        }

        private void update() {
            Set<Integer> now = new TreeSet<>();
            for (TopicPartition tp : consumer.assignment()) now.add(tp.partition());
            assignment = now;
        }
    }

    Properties memberConf(String group, Object... kv) {
        Properties p = out.conf(
                "key.deserializer", StringDeserializer.class.getName(),
                "value.deserializer", StringDeserializer.class.getName(),
                "group.id", group,
                "auto.offset.reset", "earliest",
                "enable.auto.commit", "false",
                "max.poll.records", "50");
        for (int i = 0; i < kv.length; i += 2) p.put(kv[i], kv[i + 1]);
        if (!"consumer".equals(p.get("group.protocol"))) {
            // classic groups: react to rebalances quickly (KIP-848 takes the broker's interval)
            p.put("heartbeat.interval.ms", "300");
            p.put("session.timeout.ms", "10000");
        }
        return p;
    }

    void createTopic(String topic) throws Exception {
        try (Admin admin = Admin.create(out.conf())) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get();
        }
    }

    KafkaProducer<String, String> producer() {
        return new KafkaProducer<>(out.conf(
                "key.serializer", StringSerializer.class.getName(),
                "value.serializer", StringSerializer.class.getName()));
    }

    static void produce(KafkaProducer<String, String> p, String topic, int from, int to) {
        for (int i = from; i < to; i++) p.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
        p.flush();
    }

    static boolean waitFor(BooleanSupplier cond, long ms) throws InterruptedException {
        long deadline = System.currentTimeMillis() + ms;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) return false;
            Thread.sleep(20);
        }
        return true;
    }

    /** Disjoint assignments covering every partition. */
    static boolean covers(List<Member> members) {
        Set<Integer> all = new TreeSet<>();
        int total = 0;
        for (Member m : members) {
            all.addAll(m.assignment);
            total += m.assignment.size();
        }
        return all.size() == PARTITIONS && total == PARTITIONS;
    }

    static List<Object> assignments(List<Member> members) {
        List<Object> l = new ArrayList<>();
        for (Member m : members) l.add(new ArrayList<>(m.assignment));
        return l;
    }

    /** Three members join one by one, then one leaves, with records produced at each step. */
    void churn(Map<String, Object> result, String name, Object... conf) throws Exception {
        String topic = "java-" + name + "-" + run;
        String group = "java-" + name + "-g-" + run;
        createTopic(topic);
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        List<String> errors = new CopyOnWriteArrayList<>();
        List<Member> live = new ArrayList<>();
        List<Member> all = new ArrayList<>();
        List<Object> steps = new ArrayList<>();
        int produced = 0;
        try (KafkaProducer<String, String> p = producer()) {
            for (int step = 0; step < 4; step++) {
                if (step < 3) {
                    Member m = new Member("m" + step, topic, memberConf(group, conf), seen, errors);
                    all.add(m);
                    live.add(m.start());
                } else {
                    live.remove(0).stopAndJoin();
                }
                long stepStart = System.currentTimeMillis();
                produce(p, topic, produced, produced + 500);
                produced += 500;
                int target = produced;
                boolean settled = waitFor(() -> seen.size() >= target && covers(live)
                        && live.stream().allMatch(m -> m.assignment.size() == PARTITIONS
                        / live.size()), 45_000);
                steps.add(Map.of("members", live.size(), "settled", settled,
                        "assignments", assignments(live),
                        "ms", System.currentTimeMillis() - stepStart));
            }
            long stopStart = System.currentTimeMillis();
            for (Member m : live) m.stopAndJoin();
            result.put("stop_ms", System.currentTimeMillis() - stopStart);
        }
        int duplicates = 0;
        for (int count : seen.values()) if (count > 1) duplicates++;
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < produced; i++) if (!seen.containsKey("v" + i)) missing.add("v" + i);
        result.put("produced", produced);
        result.put("seen", seen.size());
        result.put("duplicates", duplicates);
        result.put("missing", missing.subList(0, Math.min(10, missing.size())));
        result.put("steps", steps);
        result.put("errors", errors);
        result.put("commit_retries", all.stream().mapToInt(m -> m.commitRetries).sum());
        try (Admin admin = Admin.create(out.conf())) {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group))
                    .describedGroups().get(group).get();
            result.put("group_type", d.type().toString());
            result.put("group_state", d.groupState().toString());
            long committed = 0;
            for (OffsetAndMetadata o : admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get().values()) {
                committed += o.offset();
            }
            result.put("committed_total", committed);
        }
    }

    /** Two static members; one is closed (static members send no LeaveGroup) and restarted
     * with the same group.instance.id: it gets its partitions back in the same generation. */
    void staticMembers(Map<String, Object> result) throws Exception {
        String topic = "java-static-" + run;
        String group = "java-static-g-" + run;
        createTopic(topic);
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        List<String> errors = new CopyOnWriteArrayList<>();
        Member a = new Member("a", topic, memberConf(group, "group.instance.id", "inst-a"),
                seen, errors).start();
        Member b = new Member("b", topic, memberConf(group, "group.instance.id", "inst-b"),
                seen, errors).start();
        List<Member> both = List.of(a, b);
        try (KafkaProducer<String, String> p = producer()) {
            produce(p, topic, 0, 300);
            result.put("settled", waitFor(() -> seen.size() >= 300 && covers(both)
                    && a.assignment.size() == 3, 45_000));
            int generation = a.generation;
            Set<Integer> before = b.assignment;
            try (Admin admin = Admin.create(out.conf())) {
                ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group))
                        .describedGroups().get(group).get();
                List<String> instances = new ArrayList<>();
                for (MemberDescription m : d.members()) {
                    instances.add(m.groupInstanceId().orElse(null));
                }
                instances.sort(null);
                result.put("instances", instances);
            }
            b.stopAndJoin();
            produce(p, topic, 300, 600);
            Member b2 = new Member("b2", topic, memberConf(group, "group.instance.id", "inst-b"),
                    seen, errors).start();
            List<Member> again = List.of(a, b2);
            result.put("rejoined", waitFor(() -> seen.size() >= 600 && covers(again), 45_000));
            result.put("same_partitions", before.equals(b2.assignment));
            result.put("generation_before", generation);
            result.put("generation_after", List.of(a.generation, b2.generation));
            a.stopAndJoin();
            b2.stopAndJoin();
        }
        int duplicates = 0;
        for (int count : seen.values()) if (count > 1) duplicates++;
        result.put("seen", seen.size());
        result.put("duplicates", duplicates);
        result.put("errors", errors);
    }

    /** One member per protocol subscribes by pattern; a matching topic created while they
     * run is picked up; a topic that does not match is not. */
    void regex(Map<String, Object> result) throws Exception {
        String prefix = "java-re-" + run;
        try (Admin admin = Admin.create(out.conf())) {
            admin.createTopics(List.of(new NewTopic(prefix + "-a", 2, (short) 1),
                    new NewTopic("java-other-" + run, 1, (short) 1))).all().get();
        }
        Map<String, Object> perProtocol = new LinkedHashMap<>();
        try (KafkaProducer<String, String> p = producer()) {
            p.send(new ProducerRecord<>(prefix + "-a", "a-1"));
            p.send(new ProducerRecord<>("java-other-" + run, "other"));
            p.flush();
            for (String protocol : List.of("classic", "consumer")) {
                Properties conf = memberConf(prefix + "-" + protocol, "group.protocol", protocol,
                        "metadata.max.age.ms", "500");
                List<String> seen = new ArrayList<>();
                try (KafkaConsumer<String, String> c = new KafkaConsumer<>(conf)) {
                    if (protocol.equals("classic")) {
                        c.subscribe(Pattern.compile(Pattern.quote(prefix) + "-.*"));
                    } else {
                        c.subscribe(new SubscriptionPattern(Pattern.quote(prefix) + "-.*"));
                    }
                    String later = prefix + "-" + protocol + "-later";
                    waitPolling(c, seen, () -> seen.contains("a-1"), 20_000);
                    try (Admin admin = Admin.create(out.conf())) {
                        admin.createTopics(List.of(new NewTopic(later, 1, (short) 1))).all().get();
                    }
                    p.send(new ProducerRecord<>(later, "later-" + protocol)).get();
                    long created = System.currentTimeMillis();
                    waitPolling(c, seen, () -> seen.contains("later-" + protocol), 30_000);
                    long laterMs = System.currentTimeMillis() - created;
                    Set<String> topics = new TreeSet<>();
                    for (TopicPartition tp : c.assignment()) topics.add(tp.topic());
                    perProtocol.put(protocol, Map.of("seen", new TreeSet<>(seen),
                            "assigned_topics", topics.size(), "later_ms", laterMs));
                }
            }
        }
        result.put("protocols", perProtocol);
    }

    static void waitPolling(KafkaConsumer<String, String> c, List<String> seen,
                            BooleanSupplier done, long ms) {
        long deadline = System.currentTimeMillis() + ms;
        while (!done.getAsBoolean() && System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
                seen.add(r.value());
            }
        }
    }
}
