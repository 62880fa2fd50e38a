import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Transactional producers. Scenarios:
 * commit_abort (committed, aborted and plain records; read_committed vs read_uncommitted; an
 * open transaction holds back read_committed readers; offsets committed in a transaction),
 * fencing (a second producer with the same transactional.id fences the first),
 * transform (consume-transform-produce with a group consumer and sendOffsetsToTransaction).
 */
public class Transactions {
    final Out out;
    final String run = UUID.randomUUID().toString().substring(0, 8);

    Transactions(Out out) {
        this.out = out;
    }

    public static void main(String[] args) {
        Out out = new Out(args);
        Transactions t = new Transactions(out);
        for (String s : out.scenarios) {
            switch (s) {
                case "commit_abort" -> Out.run(s, t::commitAbort);
                case "fencing" -> Out.run(s, t::fencing);
                case "transform" -> Out.run(s, t::transform);
                default -> throw new IllegalArgumentException(s);
            }
        }
    }

    KafkaProducer<String, String> producer(String txnId) {
        Properties p = out.conf(
                "key.serializer", StringSerializer.class.getName(),
                "value.serializer", StringSerializer.class.getName());
        if (txnId != null) p.put("transactional.id", txnId);
        return new KafkaProducer<>(p);
    }

    KafkaConsumer<String, String> consumer(String isolation, String group, Object... kv) {
        Properties p = out.conf(
                "key.deserializer", StringDeserializer.class.getName(),
                "value.deserializer", StringDeserializer.class.getName(),
                "auto.offset.reset", "earliest",
                "enable.auto.commit", "false",
                "isolation.level", isolation);
        for (int i = 0; i < kv.length; i += 2) p.put(kv[i], kv[i + 1]);
        if (group != null) p.put("group.id", group);
        return new KafkaConsumer<>(p);
    }

    void createTopics(int partitions, String... names) throws Exception {
        try (Admin admin = Admin.create(out.conf())) {
            List<NewTopic> topics = new ArrayList<>();
            for (String n : names) topics.add(new NewTopic(n, partitions, (short) 1));
            admin.createTopics(topics).all().get();
        }
    }

    /** Values of every record in the topic's partitions, read with assign from the start
     * until `expected` arrived (then one more short poll that must add nothing). */
    List<String> readAll(String topic, int partitions, String isolation, int expected) {
        List<String> got = new ArrayList<>();
        try (KafkaConsumer<String, String> c = consumer(isolation, null)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) tps.add(new TopicPartition(topic, p));
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.currentTimeMillis() + 20_000;
            while (got.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    got.add(r.value());
                }
            }
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(300))) {
                got.add(r.value());
            }
        }
        got.sort(null);
        return got;
    }

    /** Ten records prefix0..prefix9, alternating between partitions 0 and 1. */
    static void sendTen(KafkaProducer<String, String> p, String topic, String prefix) {
        for (int i = 0; i < 10; i++) p.send(new ProducerRecord<>(topic, i % 2, null, prefix + i));
    }

    @SuppressWarnings("removal") // ConsumerGroupMetadata(group): offsets without a member
    void commitAbort(Map<String, Object> result) throws Exception {
        String topic = "java-txn-" + run;
        String group = "java-txn-g-" + run;
        createTopics(2, topic);
        TopicPartition p0 = new TopicPartition(topic, 0);
        try (KafkaProducer<String, String> tx = producer("java-tx-" + run);
             KafkaProducer<String, String> plain = producer(null)) {
            tx.initTransactions();
            tx.beginTransaction();
            sendTen(tx, topic, "c1-");
            tx.commitTransaction();

            tx.beginTransaction();
            sendTen(tx, topic, "ab-");
            tx.flush();
            plain.send(new ProducerRecord<>(topic, 0, null, "plain-0")).get();
            tx.abortTransaction();

            tx.beginTransaction();
            sendTen(tx, topic, "c2-");
            tx.sendOffsetsToTransaction(Map.of(p0, new OffsetAndMetadata(17, "in-txn")),
                    new org.apache.kafka.clients.consumer.ConsumerGroupMetadata(group));
            tx.commitTransaction();

            // an open transaction: read_committed stops at its first record
            tx.beginTransaction();
            tx.send(new ProducerRecord<>(topic, 1, null, "open-0")).get();
            plain.send(new ProducerRecord<>(topic, 1, null, "plain-1")).get();
            result.put("read_committed_while_open", readAll(topic, 2, "read_committed", 21));
            try (KafkaConsumer<String, String> c = consumer("read_committed", null);
                 KafkaConsumer<String, String> u = consumer("read_uncommitted", null)) {
                TopicPartition p1 = new TopicPartition(topic, 1);
                c.assign(List.of(p1)); // the client warns when unassigned partitions answer
                u.assign(List.of(p1));
                result.put("lso_p1", c.endOffsets(List.of(p1)).get(p1));
                result.put("hw_p1", u.endOffsets(List.of(p1)).get(p1));
            }
            tx.commitTransaction();
        }
        result.put("read_committed", readAll(topic, 2, "read_committed", 23));
        result.put("read_uncommitted", readAll(topic, 2, "read_uncommitted", 33));
        try (Admin admin = Admin.create(out.conf())) {
            Map<TopicPartition, OffsetAndMetadata> offsets =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            OffsetAndMetadata o = offsets.get(p0);
            result.put("txn_offset", o == null ? null : List.of(o.offset(), o.metadata()));
        }
    }

    void fencing(Map<String, Object> result) throws Exception {
        String topic = "java-fence-" + run;
        String txnId = "java-fence-tx-" + run;
        createTopics(1, topic);
        try (KafkaProducer<String, String> first = producer(txnId)) {
            first.initTransactions();
            first.beginTransaction();
            first.send(new ProducerRecord<>(topic, 0, null, "from-first")).get();
            try (KafkaProducer<String, String> second = producer(txnId)) {
                // fences the first and aborts its open transaction
                second.initTransactions();
                second.beginTransaction();
                second.send(new ProducerRecord<>(topic, 0, null, "from-second")).get();
                second.commitTransaction();
            }
            try {
                first.send(new ProducerRecord<>(topic, 0, null, "late")).get();
                first.commitTransaction();
                result.put("first_error", null);
            } catch (Exception e) {
                Throwable c = e.getCause() != null ? e.getCause() : e;
                result.put("first_error", c.getClass().getSimpleName());
            }
            try {
                first.abortTransaction();
                result.put("abort_error", null);
            } catch (Exception e) {
                result.put("abort_error", e.getClass().getSimpleName());
            }
        }
        result.put("read_committed", readAll(topic, 1, "read_committed", 1));
    }

    void transform(Map<String, Object> result) throws Exception {
        String in = "java-tin-" + run;
        String outTopic = "java-tout-" + run;
        String group = "java-tgroup-" + run;
        createTopics(3, in, outTopic);
        int n = 300;
        try (KafkaProducer<String, String> p = producer(null)) {
            for (int i = 0; i < n; i++) p.send(new ProducerRecord<>(in, "k" + i, "in-" + i));
        }
        int transformed = 0;
        int transactions = 0;
        try (KafkaConsumer<String, String> c =
                     consumer("read_committed", group, "max.poll.records", "40");
             KafkaProducer<String, String> tx = producer("java-transform-" + run)) {
            tx.initTransactions();
            c.subscribe(List.of(in));
            long deadline = System.currentTimeMillis() + 30_000;
            while (transformed < n && System.currentTimeMillis() < deadline) {
                ConsumerRecords<String, String> batch = c.poll(Duration.ofMillis(200));
                if (batch.isEmpty()) continue;
                tx.beginTransaction();
                Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
                for (ConsumerRecord<String, String> r : batch) {
                    String value = r.value().replace("in-", "out-");
                    tx.send(new ProducerRecord<>(outTopic, r.key(), value));
                    next.put(new TopicPartition(r.topic(), r.partition()),
                            new OffsetAndMetadata(r.offset() + 1));
                    transformed++;
                }
                tx.sendOffsetsToTransaction(next, c.groupMetadata());
                tx.commitTransaction();
                transactions++;
            }
        }
        result.put("transformed", transformed);
        result.put("transactions", transactions);
        List<String> got = readAll(outTopic, 3, "read_committed", n);
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < n; i++) if (!got.contains("out-" + i)) missing.add("out-" + i);
        result.put("read", got.size());
        result.put("missing", missing);
        try (Admin admin = Admin.create(out.conf())) {
            long committed = 0;
            for (OffsetAndMetadata o : admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get().values()) {
                committed += o.offset();
            }
            result.put("committed_total", committed);
        }
    }
}
