import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Producer and consumer round trips. Scenarios:
 * codecs (every compression type, byte-exact, with sizes on disk), acks (0, 1, all without
 * idempotence), idempotent (many in-flight batches, no loss or duplicate), consumer_api
 * (assign, seek, offsetsForTimes, beginning/end offsets, pause/resume, wakeup, commitSync,
 * commitAsync, committed).
 */
public class Records {
    static final List<String> CODECS = List.of("none", "gzip", "snappy", "lz4", "zstd");
    static final long BASE_TS = 1_700_000_000_000L;

    final Out out;
    final String run = UUID.randomUUID().toString().substring(0, 8);

    Records(Out out) {
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        Out out = new Out(args);
        Records r = new Records(out);
        for (String s : out.scenarios) {
            switch (s) {
                case "codecs" -> Out.run(s, r::codecs);
                case "acks" -> Out.run(s, r::acks);
                case "idempotent" -> Out.run(s, r::idempotent);
                case "consumer_api" -> Out.run(s, r::consumerApi);
                default -> throw new IllegalArgumentException(s);
            }
        }
    }

    // --- records that exercise every field: null vs empty, headers, binary, sizes ---

    static List<ProducerRecord<byte[], byte[]>> sample(String topic, int seed) {
        Random rnd = new Random(seed);
        List<ProducerRecord<byte[], byte[]>> list = new ArrayList<>();
        list.add(rec(topic, null, bytes("plain value"), BASE_TS));
        list.add(rec(topic, new byte[0], new byte[0], BASE_TS + 1));
        list.add(rec(topic, bytes("tombstone"), null, BASE_TS + 2));
        list.add(rec(topic, bytes("ключ-κλειδί-🔑"), bytes("värde ✓"), BASE_TS + 3));
        ProducerRecord<byte[], byte[]> withHeaders =
                rec(topic, bytes("h"), bytes("v"), BASE_TS + 4);
        withHeaders.headers().add("h1", bytes("one"));
        withHeaders.headers().add("h1", bytes("duplicate name"));
        withHeaders.headers().add("null-value", null);
        withHeaders.headers().add("", bytes("empty name"));
        withHeaders.headers().add("binary", new byte[] {0, (byte) 0xff, 10, 13, 0});
        list.add(withHeaders);
        for (int size : new int[] {1, 100, 4096, 100_000}) {
            byte[] v = new byte[size];
            rnd.nextBytes(v);
            list.add(rec(topic, bytes("random-" + size), v, BASE_TS + 10 + size));
        }
        // many small compressible records, sent together so they share batches
        for (int i = 0; i < 500; i++) {
            String text = ("order " + i + " placed by user " + (i % 17) + "; ").repeat(1 + i % 7);
            ProducerRecord<byte[], byte[]> r =
                    rec(topic, bytes("user-" + (i % 17)), bytes(text), BASE_TS + 1000 + i);
            r.headers().add("seq", bytes(Integer.toString(i)));
            list.add(r);
        }
        return list;
    }

    static ProducerRecord<byte[], byte[]> rec(String t, byte[] k, byte[] v, long ts) {
        return new ProducerRecord<>(t, 0, ts, k, v);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    KafkaProducer<byte[], byte[]> producer(Object... kv) {
        java.util.Properties p = out.conf(
                "key.serializer", ByteArraySerializer.class.getName(),
                "value.serializer", ByteArraySerializer.class.getName(),
                "linger.ms", "20",
                "max.request.size", "2000000");
        for (int i = 0; i < kv.length; i += 2) p.put(kv[i], kv[i + 1]);
        return new KafkaProducer<>(p);
    }

    KafkaConsumer<byte[], byte[]> consumer(Object... kv) {
        java.util.Properties p = out.conf(
                "key.deserializer", ByteArrayDeserializer.class.getName(),
                "value.deserializer", ByteArrayDeserializer.class.getName(),
                "auto.offset.reset", "earliest",
                "enable.auto.commit", "false");
        for (int i = 0; i < kv.length; i += 2) p.put(kv[i], kv[i + 1]);
        return new KafkaConsumer<>(p);
    }

    Admin admin() {
        return Admin.create(out.conf());
    }

    void createTopics(Admin admin, int partitions, String... names) throws Exception {
        List<NewTopic> topics = new ArrayList<>();
        for (String n : names) topics.add(new NewTopic(n, partitions, (short) 1));
        admin.createTopics(topics).all().get();
    }

    /** Read everything in [0, end) of each partition with assign + seekToBeginning. */
    List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int partitions, long expected,
                                                 Object... kv) {
        List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = consumer(kv)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) tps.add(new TopicPartition(topic, p));
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.currentTimeMillis() + 30_000;
            while (got.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) got.add(r);
            }
            // nothing more than expected may arrive
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(300))) got.add(r);
        }
        return got;
    }

    /** Null if equal, else a description of the first difference. */
    static String diff(ProducerRecord<byte[], byte[]> sent, ConsumerRecord<byte[], byte[]> got) {
        if (!Arrays.equals(sent.key(), got.key())) return "key";
        if (!Arrays.equals(sent.value(), got.value())) return "value";
        if (sent.timestamp() != null && sent.timestamp() != got.timestamp()) return "timestamp";
        if (got.timestampType() != TimestampType.CREATE_TIME) return "timestamp type";
        Header[] a = sent.headers().toArray();
        Header[] b = got.headers().toArray();
        if (a.length != b.length) return "header count";
        for (int i = 0; i < a.length; i++) {
            if (!a[i].key().equals(b[i].key()) || !Arrays.equals(a[i].value(), b[i].value())) {
                return "header " + i;
            }
        }
        return null;
    }

    static List<String> compare(List<ProducerRecord<byte[], byte[]>> sent,
                                List<ConsumerRecord<byte[], byte[]>> got) {
        List<String> problems = new ArrayList<>();
        if (sent.size() != got.size()) {
            problems.add("sent " + sent.size() + ", read " + got.size());
        }
        for (int i = 0; i < Math.min(sent.size(), got.size()); i++) {
            String d = diff(sent.get(i), got.get(i));
            if (d != null) problems.add("record " + i + ": " + d);
            if (got.get(i).offset() != i) {
                problems.add("record " + i + " at offset " + got.get(i).offset());
            }
            if (problems.size() > 5) break;
        }
        return problems;
    }

    /**
     * SHA-256 of the records' fields, so another client can check that it reads the same
     * bytes: per record key and value (int32 length, -1 for null, then the bytes), the int64
     * timestamp, the int32 header count and each header's name and value the same way.
     */
    static String digest(List<ProducerRecord<byte[], byte[]>> records) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(buf);
        for (ProducerRecord<byte[], byte[]> r : records) {
            field(out, r.key());
            field(out, r.value());
            out.writeLong(r.timestamp());
            Header[] headers = r.headers().toArray();
            out.writeInt(headers.length);
            for (Header h : headers) {
                field(out, h.key().getBytes(StandardCharsets.UTF_8));
                field(out, h.value());
            }
        }
        return Out.hex(MessageDigest.getInstance("SHA-256").digest(buf.toByteArray()));
    }

    static void field(DataOutputStream out, byte[] b) throws IOException {
        if (b == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(b.length);
            out.write(b);
        }
    }

    // --- scenarios ---

    void codecs(Map<String, Object> result) throws Exception {
        Map<String, Object> perCodec = new LinkedHashMap<>();
        try (Admin admin = admin()) {
            Map<String, String> topics = new LinkedHashMap<>();
            for (String codec : CODECS) topics.put(codec, "java-codec-" + codec + "-" + run);
            createTopics(admin, 1, topics.values().toArray(new String[0]));
            for (String codec : CODECS) {
                String topic = topics.get(codec);
                List<ProducerRecord<byte[], byte[]>> sent = sample(topic, 42);
                try (KafkaProducer<byte[], byte[]> p = producer("compression.type", codec)) {
                    List<Future<RecordMetadata>> fs = new ArrayList<>();
                    for (ProducerRecord<byte[], byte[]> r : sent) fs.add(p.send(r));
                    for (Future<RecordMetadata> f : fs) f.get();
                }
                List<ConsumerRecord<byte[], byte[]>> got = readAll(topic, 1, sent.size());
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("topic", topic);
                one.put("sent", sent.size());
                one.put("read", got.size());
                one.put("problems", compare(sent, got));
                one.put("digest", digest(sent));
                perCodec.put(codec, one);
            }
            // bytes on disk per topic: a codec that silently fell back to none would show
            Map<Integer, Map<String, LogDirDescription>> dirs =
                    admin.describeLogDirs(List.of(1)).allDescriptions().get();
            for (LogDirDescription d : dirs.get(1).values()) {
                d.replicaInfos().forEach((tp, info) -> {
                    for (String codec : CODECS) {
                        if (tp.topic().equals(topics.get(codec))) {
                            @SuppressWarnings("unchecked")
                            Map<String, Object> one = (Map<String, Object>) perCodec.get(codec);
                            one.put("size", info.size());
                        }
                    }
                });
            }
        }
        result.put("codecs", perCodec);
    }

    void acks(Map<String, Object> result) throws Exception {
        Map<String, Object> perAcks = new LinkedHashMap<>();
        try (Admin admin = admin()) {
            for (String acks : List.of("0", "1", "all")) {
                String topic = "java-acks-" + acks + "-" + run;
                createTopics(admin, 1, topic);
                List<ProducerRecord<byte[], byte[]>> sent = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    byte[] value = bytes("acks " + acks + " #" + i);
                    sent.add(rec(topic, bytes("k" + i), value, BASE_TS + i));
                }
                List<Long> offsets = new ArrayList<>();
                try (KafkaProducer<byte[], byte[]> p =
                             producer("acks", acks, "enable.idempotence", "false")) {
                    List<Future<RecordMetadata>> fs = new ArrayList<>();
                    for (ProducerRecord<byte[], byte[]> r : sent) fs.add(p.send(r));
                    for (Future<RecordMetadata> f : fs) offsets.add(f.get().offset());
                }
                List<ConsumerRecord<byte[], byte[]>> got = readAll(topic, 1, sent.size());
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("read", got.size());
                one.put("problems", compare(sent, got));
                one.put("first_offsets", offsets.subList(0, 3));
                one.put("last_offset", offsets.get(offsets.size() - 1));
                perAcks.put(acks, one);
            }
        }
        result.put("acks", perAcks);
    }

    void idempotent(Map<String, Object> result) throws Exception {
        String topic = "java-idem-" + run;
        int partitions = 3;
        int perPartition = 3000;
        try (Admin admin = admin()) {
            createTopics(admin, partitions, topic);
        }
        List<ProducerRecord<byte[], byte[]>> sent = new ArrayList<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> p = producer(
                "enable.idempotence", "true", "acks", "all",
                "max.in.flight.requests.per.connection", "5",
                "batch.size", "2048", "linger.ms", "0")) {
            for (int i = 0; i < perPartition; i++) {
                for (int part = 0; part < partitions; part++) {
                    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(
                            topic, part, bytes("p" + part), bytes(part + ":" + i));
                    sent.add(r);
                    p.send(r, (md, e) -> {
                        if (e != null) failure.compareAndSet(null, e);
                    });
                }
            }
            p.flush();
        }
        if (failure.get() != null) throw failure.get();
        List<ConsumerRecord<byte[], byte[]>> got = readAll(topic, partitions, sent.size());
        // per partition: values 0..n-1 in order, each once
        int[] next = new int[partitions];
        List<String> problems = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : got) {
            String v = new String(r.value(), StandardCharsets.UTF_8);
            String want = r.partition() + ":" + next[r.partition()];
            if (!v.equals(want) && problems.size() < 5) {
                problems.add("partition " + r.partition() + " offset " + r.offset() + ": " + v
                        + " instead of " + want);
            }
            next[r.partition()]++;
        }
        result.put("sent", sent.size());
        result.put("read", got.size());
        result.put("problems", problems);
    }

    void consumerApi(Map<String, Object> result) throws Exception {
        String topic = "java-capi-" + run;
        String group = "java-capi-g-" + run;
        try (Admin admin = admin()) {
            createTopics(admin, 2, topic);
        }
        // partition 0: 100 records with timestamps BASE_TS + 10*i; partition 1: 50
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            for (int i = 0; i < 100; i++) {
                p.send(new ProducerRecord<>(topic, 0, BASE_TS + 10L * i, null, bytes("a" + i)));
            }
            for (int i = 0; i < 50; i++) {
                p.send(new ProducerRecord<>(topic, 1, BASE_TS + 10L * i, null, bytes("b" + i)));
            }
            p.flush();
        }
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        try (KafkaConsumer<byte[], byte[]> c =
                     consumer("group.id", group, "max.poll.records", "10")) {
            // assigned first: the client warns when these answer for unassigned partitions
            c.assign(List.of(p0, p1));
            result.put("beginning", values(c.beginningOffsets(List.of(p0, p1)), p0, p1));
            result.put("end", values(c.endOffsets(List.of(p0, p1)), p0, p1));
            Map<TopicPartition, OffsetAndTimestamp> times = c.offsetsForTimes(Map.of(
                    p0, BASE_TS + 255, p1, BASE_TS + 10_000));
            OffsetAndTimestamp t0 = times.get(p0);
            result.put("for_time_p0", List.of(t0.offset(), t0.timestamp()));
            result.put("for_time_p1_after_end", times.get(p1) == null);

            c.seek(p0, 90);
            c.seek(p1, 45);
            List<String> seen = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 20_000;
            while (seen.size() < 15 && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    seen.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
            seen.sort(null);
            result.put("after_seek", seen);

            // pause p0: new records there are not returned until resume
            try (KafkaProducer<byte[], byte[]> p = producer()) {
                p.send(new ProducerRecord<>(topic, 0, null, bytes("paused"))).get();
                p.send(new ProducerRecord<>(topic, 1, null, bytes("flowing"))).get();
            }
            c.pause(List.of(p0));
            List<String> whilePaused = new ArrayList<>();
            deadline = System.currentTimeMillis() + 10_000;
            while (!whilePaused.contains("flowing") && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    whilePaused.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(300))) {
                whilePaused.add(new String(r.value(), StandardCharsets.UTF_8));
            }
            result.put("paused", c.paused().size());
            result.put("while_paused", whilePaused);
            c.resume(List.of(p0));
            List<String> afterResume = new ArrayList<>();
            deadline = System.currentTimeMillis() + 10_000;
            while (afterResume.isEmpty() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    afterResume.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
            result.put("after_resume", afterResume);
            result.put("positions", List.of(c.position(p0), c.position(p1)));

            // commits: sync with metadata, then async with a callback
            c.commitSync(Map.of(p0, new OffsetAndMetadata(42, "sync-meta")));
            AtomicReference<Object> asyncDone = new AtomicReference<>();
            c.commitAsync(Map.of(p1, new OffsetAndMetadata(7, "async-meta")),
                    (offsets, e) -> asyncDone.set(e == null ? offsets.size() : e.toString()));
            deadline = System.currentTimeMillis() + 10_000;
            while (asyncDone.get() == null && System.currentTimeMillis() < deadline) {
                c.poll(Duration.ofMillis(50));
            }
            result.put("async_commit", asyncDone.get());
            Map<TopicPartition, OffsetAndMetadata> committed = c.committed(Set.of(p0, p1));
            result.put("committed", List.of(
                    committed.get(p0).offset(), committed.get(p0).metadata(),
                    committed.get(p1).offset(), committed.get(p1).metadata()));

            // wakeup from another thread interrupts a long poll with WakeupException
            AtomicBoolean woke = new AtomicBoolean();
            c.pause(List.of(p0, p1));
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException ignored) {
                    return;
                }
                c.wakeup();
            });
            t.start();
            long start = System.currentTimeMillis();
            try {
                c.poll(Duration.ofSeconds(20));
            } catch (WakeupException e) {
                woke.set(true);
            }
            t.join();
            result.put("woke", woke.get());
            result.put("wakeup_ms", System.currentTimeMillis() - start);
        }
    }

    static List<Long> values(Map<TopicPartition, Long> m, TopicPartition... tps) {
        List<Long> l = new ArrayList<>();
        for (TopicPartition tp : tps) l.add(m.get(tp));
        return l;
    }
}
