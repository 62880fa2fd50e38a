import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The Admin client. Scenarios: topics, configs, offsets (listOffsets, deleteRecords), groups,
 * cluster (describeCluster, features, log dirs, quorum, producers, transactions, quotas,
 * leader election, reassignments), unsupported (APIs the broker does not serve fail fast
 * with UnsupportedVersionException).
 */
public class AdminOps {
    final Out out;
    final String run = UUID.randomUUID().toString().substring(0, 8);
    final Admin admin;

    AdminOps(Out out) {
        this.out = out;
        admin = Admin.create(out.conf("default.api.timeout.ms", "20000",
                "request.timeout.ms", "10000"));
    }

    public static void main(String[] args) {
        Out out = new Out(args);
        AdminOps a = new AdminOps(out);
        try {
            for (String s : out.scenarios) {
                switch (s) {
                    case "topics" -> Out.run(s, a::topics);
                    case "configs" -> Out.run(s, a::configs);
                    case "offsets" -> Out.run(s, a::offsets);
                    case "groups" -> Out.run(s, a::groups);
                    case "cluster" -> Out.run(s, a::cluster);
                    case "unsupported" -> Out.run(s, a::unsupported);
                    default -> throw new IllegalArgumentException(s);
                }
            }
        } finally {
            a.admin.close(Duration.ofSeconds(10));
        }
    }

    /** The class name of the exception a future fails with, or "ok". */
    static String outcome(Future<?> f) {
        try {
            f.get();
            return "ok";
        } catch (ExecutionException e) {
            return e.getCause().getClass().getSimpleName();
        } catch (InterruptedException e) {
            throw new RuntimeException(e);
        }
    }

    KafkaProducer<String, String> producer(Object... kv) {
        Properties p = out.conf(
                "key.serializer", StringSerializer.class.getName(),
                "value.serializer", StringSerializer.class.getName());
        for (int i = 0; i < kv.length; i += 2) p.put(kv[i], kv[i + 1]);
        return new KafkaProducer<>(p);
    }

    void topics(Map<String, Object> r) throws Exception {
        String t = "java-admin-" + run;
        String compacted = "java-admin-compact-" + run;
        // validateOnly: the answer describes the topic, nothing is created
        CreateTopicsResult dry = admin.createTopics(
                List.of(new NewTopic(t, 3, (short) 1).configs(Map.of("retention.ms", "3600000"))),
                new CreateTopicsOptions().validateOnly(true));
        dry.all().get();
        r.put("validate_only_partitions", dry.numPartitions(t).get());
        r.put("validate_only_retention", dry.config(t).get().get("retention.ms").value());
        r.put("exists_after_validate", admin.listTopics().names().get().contains(t));

        CreateTopicsResult created = admin.createTopics(List.of(
                new NewTopic(t, 3, (short) 1),
                new NewTopic(compacted, Optional.of(1), Optional.empty())
                        .configs(Map.of("cleanup.policy", "compact", "segment.bytes", "1048576"))));
        created.all().get();
        Uuid id = created.topicId(t).get();
        r.put("created_id_nonzero", !id.equals(Uuid.ZERO_UUID));
        r.put("created_replication", created.replicationFactor(compacted).get());
        r.put("created_policy", created.config(compacted).get().get("cleanup.policy").value());
        r.put("create_again", outcome(admin.createTopics(List.of(new NewTopic(t, 1, (short) 1)))
                .all()));
        r.put("create_bad_config", outcome(admin.createTopics(List.of(new NewTopic(
                "java-bad-" + run, 1, (short) 1).configs(Map.of("cleanup.policy", "sideways"))))
                .all()));
        r.put("create_bad_replication", outcome(admin.createTopics(List.of(new NewTopic(
                "java-bad-rf-" + run, 1, (short) 3))).all()));

        Set<String> names = admin.listTopics().names().get();
        Set<String> withInternal =
                admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
        r.put("listed", names.contains(t) && names.contains(compacted));
        r.put("internal_hidden", !names.contains("__consumer_offsets"));
        r.put("internal_listed", withInternal.contains("__consumer_offsets"));

        TopicDescription byName = admin.describeTopics(List.of(t),
                new DescribeTopicsOptions().includeAuthorizedOperations(true))
                .allTopicNames().get().get(t);
        r.put("describe_partitions", byName.partitions().size());
        r.put("describe_id_matches", byName.topicId().equals(id));
        TopicPartitionInfo p0 = byName.partitions().get(0);
        r.put("describe_leader", p0.leader().id());
        r.put("describe_isr", p0.isr().size());
        r.put("authorized_operations", byName.authorizedOperations() == null ? null
                : byName.authorizedOperations().size());
        TopicDescription byId = admin.describeTopics(TopicCollection.ofTopicIds(List.of(id)))
                .allTopicIds().get().get(id);
        r.put("describe_by_id_name", byId.name());
        r.put("describe_unknown", outcome(admin.describeTopics(List.of("java-nope-" + run))
                .allTopicNames()));
        r.put("describe_unknown_id", outcome(admin.describeTopics(
                TopicCollection.ofTopicIds(List.of(Uuid.randomUuid()))).allTopicIds()));

        admin.createPartitions(Map.of(t, NewPartitions.increaseTo(5))).all().get();
        r.put("partitions_after_increase", admin.describeTopics(List.of(t)).allTopicNames().get()
                .get(t).partitions().size());
        r.put("decrease", outcome(admin.createPartitions(Map.of(t, NewPartitions.increaseTo(2)))
                .all()));
        r.put("increase_unknown", outcome(admin.createPartitions(
                Map.of("java-nope-" + run, NewPartitions.increaseTo(2))).all()));

        admin.deleteTopics(List.of(t)).all().get();
        r.put("deleted_listed", admin.listTopics().names().get().contains(t));
        r.put("delete_again", outcome(admin.deleteTopics(List.of(t)).all()));
        admin.deleteTopics(TopicCollection.ofTopicIds(List.of(
                created.topicId(compacted).get()))).all().get();
        r.put("deleted_by_id_listed", admin.listTopics().names().get().contains(compacted));
    }

    static Map<String, Object> entries(Config c, String... names) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String n : names) {
            ConfigEntry e = c.get(n);
            m.put(n, e == null ? null : List.of(String.valueOf(e.value()), e.source().toString()));
        }
        return m;
    }

    void configs(Map<String, Object> r) throws Exception {
        String t = "java-cfg-" + run;
        admin.createTopics(List.of(new NewTopic(t, 1, (short) 1)
                .configs(Map.of("retention.ms", "86400000")))).all().get();
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, t);
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
        Map<ConfigResource, Config> described =
                admin.describeConfigs(List.of(topic, broker)).all().get();
        r.put("topic", entries(described.get(topic), "retention.ms", "cleanup.policy",
                "max.message.bytes"));
        r.put("broker", entries(described.get(broker), "num.partitions", "log.retention.hours"));
        r.put("topic_config_count", described.get(topic).entries().size());

        admin.incrementalAlterConfigs(Map.of(topic, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "1000"),
                        AlterConfigOp.OpType.DELETE),
                new AlterConfigOp(new ConfigEntry("segment.ms", "600000"),
                        AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"),
                        AlterConfigOp.OpType.APPEND)))).all().get();
        r.put("after_alter", entries(admin.describeConfigs(List.of(topic)).all().get().get(topic),
                "retention.ms", "segment.ms", "cleanup.policy"));
        admin.incrementalAlterConfigs(Map.of(topic, List.of(
                new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"),
                        AlterConfigOp.OpType.SUBTRACT)))).all().get();
        r.put("after_subtract", entries(admin.describeConfigs(List.of(topic)).all().get()
                .get(topic), "cleanup.policy"));
        r.put("alter_invalid", outcome(admin.incrementalAlterConfigs(Map.of(topic, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "soon"),
                        AlterConfigOp.OpType.SET)))).all()));
        r.put("alter_unknown_topic", outcome(admin.incrementalAlterConfigs(Map.of(
                new ConfigResource(ConfigResource.Type.TOPIC, "java-nope-" + run),
                List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "1"),
                        AlterConfigOp.OpType.SET)))).all()));
        r.put("validate_only", outcome(admin.incrementalAlterConfigs(Map.of(topic, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "5"), AlterConfigOp.OpType.SET))),
                new AlterConfigsOptions().validateOnly(true)).all()));
        r.put("after_validate_only", entries(admin.describeConfigs(List.of(topic)).all().get()
                .get(topic), "retention.ms"));
        // a dynamic broker config, set and removed again
        admin.incrementalAlterConfigs(Map.of(broker, List.of(new AlterConfigOp(
                new ConfigEntry("log.retention.ms", "7200000"), AlterConfigOp.OpType.SET))))
                .all().get();
        r.put("broker_dynamic", entries(admin.describeConfigs(List.of(broker)).all().get()
                .get(broker), "log.retention.ms"));
        admin.incrementalAlterConfigs(Map.of(broker, List.of(new AlterConfigOp(
                new ConfigEntry("log.retention.ms", ""), AlterConfigOp.OpType.DELETE))))
                .all().get();
    }

    void offsets(Map<String, Object> r) throws Exception {
        String t = "java-offsets-" + run;
        admin.createTopics(List.of(new NewTopic(t, 1, (short) 1))).all().get();
        long base = 1_700_000_000_000L;
        try (KafkaProducer<String, String> p = producer()) {
            // timestamps rise to a maximum at offset 5, then fall
            long[] ts = {0, 10, 20, 30, 40, 900, 50, 60, 70, 80};
            for (int i = 0; i < ts.length; i++) {
                p.send(new ProducerRecord<>(t, 0, base + ts[i], null, "v" + i));
            }
            p.flush();
        }
        TopicPartition tp = new TopicPartition(t, 0);
        Map<String, OffsetSpec> specs = new LinkedHashMap<>();
        specs.put("earliest", OffsetSpec.earliest());
        specs.put("latest", OffsetSpec.latest());
        specs.put("time_25", OffsetSpec.forTimestamp(base + 25));
        specs.put("time_after", OffsetSpec.forTimestamp(base + 5000));
        specs.put("max_timestamp", OffsetSpec.maxTimestamp());
        specs.put("earliest_local", OffsetSpec.earliestLocal());
        specs.put("latest_tiered", OffsetSpec.latestTiered());
        Map<String, Object> found = new LinkedHashMap<>();
        for (Map.Entry<String, OffsetSpec> e : specs.entrySet()) {
            try {
                ListOffsetsResult.ListOffsetsResultInfo info =
                        admin.listOffsets(Map.of(tp, e.getValue())).partitionResult(tp).get();
                found.put(e.getKey(), List.of(info.offset(), info.timestamp()));
            } catch (ExecutionException ex) {
                found.put(e.getKey(), ex.getCause().getClass().getSimpleName());
            }
        }
        r.put("list_offsets", found);
        r.put("low_watermark", admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(4)))
                .lowWatermarks().get(tp).get().lowWatermark());
        ListOffsetsResult.ListOffsetsResultInfo after =
                admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp).get();
        r.put("earliest_after_delete", after.offset());
        r.put("delete_beyond_end", outcome(admin.deleteRecords(
                Map.of(tp, RecordsToDelete.beforeOffset(99))).all()));
        r.put("list_unknown", outcome(admin.listOffsets(Map.of(
                new TopicPartition("java-nope-" + run, 0), OffsetSpec.latest())).all()));
    }

    void groups(Map<String, Object> r) throws Exception {
        String t = "java-groups-" + run;
        String g = "java-admin-g-" + run;
        admin.createTopics(List.of(new NewTopic(t, 2, (short) 1))).all().get();
        TopicPartition p0 = new TopicPartition(t, 0);
        TopicPartition p1 = new TopicPartition(t, 1);
        try (KafkaProducer<String, String> p = producer()) {
            for (int i = 0; i < 10; i++) p.send(new ProducerRecord<>(t, i % 2, null, "v" + i));
        }
        Properties cc = out.conf(
                "key.deserializer", StringDeserializer.class.getName(),
                "value.deserializer", StringDeserializer.class.getName(),
                "group.id", g, "auto.offset.reset", "earliest", "enable.auto.commit", "false",
                "client.id", "java-admin-member");
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cc)) {
            c.subscribe(List.of(t));
            long deadline = System.currentTimeMillis() + 20_000;
            int n = 0;
            while (n < 10 && System.currentTimeMillis() < deadline) {
                n += c.poll(Duration.ofMillis(200)).count();
            }
            c.commitSync();
            // while the member is in the group
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(g))
                    .describedGroups().get(g).get();
            r.put("state_active", d.groupState().toString());
            r.put("assignor", d.partitionAssignor());
            r.put("coordinator", d.coordinator().id());
            List<Object> members = new ArrayList<>();
            for (MemberDescription m : d.members()) {
                members.add(List.of(m.clientId(), new TreeSet<>(m.assignment().topicPartitions()
                        .stream().map(TopicPartition::partition).toList())));
            }
            r.put("members", members);
            r.put("alter_while_active", outcome(admin.alterConsumerGroupOffsets(g,
                    Map.of(p0, new OffsetAndMetadata(1))).all()));
            r.put("delete_while_active", outcome(admin.deleteConsumerGroups(List.of(g)).all()));
        }
        Collection<ConsumerGroupListing> listed = admin.listConsumerGroups().all().get();
        r.put("list_consumer_groups", listed.stream().filter(l -> l.groupId().equals(g))
                .map(l -> List.of(l.groupState().map(Object::toString).orElse("?"),
                        l.type().map(Object::toString).orElse("?"), l.isSimpleConsumerGroup()))
                .toList());
        Collection<GroupListing> groups = admin.listGroups().all().get();
        r.put("list_groups", groups.stream().filter(l -> l.groupId().equals(g))
                .map(l -> List.of(l.type().map(Object::toString).orElse("?"), l.protocol(),
                        l.groupState().map(Object::toString).orElse("?")))
                .toList());
        r.put("list_groups_classic", admin.listGroups(new org.apache.kafka.clients.admin
                .ListGroupsOptions().withTypes(Set.of(GroupType.CLASSIC))).all().get().stream()
                .anyMatch(l -> l.groupId().equals(g)));
        r.put("offsets", offsets(g));
        admin.alterConsumerGroupOffsets(g, Map.of(p0, new OffsetAndMetadata(2, "moved"),
                p1, new OffsetAndMetadata(3))).all().get();
        r.put("offsets_after_alter", offsets(g));
        admin.deleteConsumerGroupOffsets(g, Set.of(p1)).all().get();
        r.put("offsets_after_delete", offsets(g));
        ConsumerGroupDescription empty = admin.describeConsumerGroups(List.of(g))
                .describedGroups().get(g).get();
        r.put("state_empty", empty.groupState().toString());
        r.put("describe_unknown", admin.describeConsumerGroups(List.of("java-nope-" + run))
                .describedGroups().values().iterator().next().get().groupState().toString());
        admin.deleteConsumerGroups(List.of(g)).all().get();
        r.put("listed_after_delete", admin.listConsumerGroups().all().get().stream()
                .anyMatch(l -> l.groupId().equals(g)));
        r.put("delete_unknown", outcome(admin.deleteConsumerGroups(List.of("java-nope-" + run))
                .all()));
    }

    Map<String, Object> offsets(String g) throws Exception {
        Map<String, Object> m = new TreeMap<>();
        admin.listConsumerGroupOffsets(g).partitionsToOffsetAndMetadata().get().forEach((tp, o) ->
                m.put(Integer.toString(tp.partition()), List.of(o.offset(), o.metadata())));
        return m;
    }

    void cluster(Map<String, Object> r) throws Exception {
        DescribeClusterResult c = admin.describeCluster();
        r.put("cluster_id", c.clusterId().get());
        r.put("nodes", c.nodes().get().stream().map(n -> n.host() + ":" + n.port()).toList());
        Node controller = c.controller().get();
        r.put("controller", controller == null ? null : controller.id());
        FeatureMetadata f = admin.describeFeatures().featureMetadata().get();
        r.put("features_finalized", new TreeSet<>(f.finalizedFeatures().keySet()));
        r.put("features_supported", new TreeSet<>(f.supportedFeatures().keySet()));
        QuorumInfo q = admin.describeMetadataQuorum().quorumInfo().get();
        r.put("quorum_leader", q.leaderId());

        String t = "java-cluster-" + run;
        admin.createTopics(List.of(new NewTopic(t, 1, (short) 1))).all().get();
        TopicPartition tp = new TopicPartition(t, 0);
        String txnId = "java-cluster-tx-" + run;
        try (KafkaProducer<String, String> idem = producer();
             KafkaProducer<String, String> tx = producer("transactional.id", txnId)) {
            idem.send(new ProducerRecord<>(t, 0, null, "idempotent")).get();
            tx.initTransactions();
            tx.beginTransaction();
            tx.send(new ProducerRecord<>(t, 0, null, "in-txn")).get();

            Map<Integer, Map<String, LogDirDescription>> dirs =
                    admin.describeLogDirs(List.of(1)).allDescriptions().get();
            LogDirDescription dir = dirs.get(1).values().iterator().next();
            r.put("log_dir_has_topic", dir.replicaInfos().containsKey(tp));
            r.put("log_dir_size_positive", dir.replicaInfos().get(tp).size() > 0);
            r.put("log_dir_total_bytes_known", dir.totalBytes().isPresent());

            List<ProducerState> producers = admin.describeProducers(List.of(tp))
                    .partitionResult(tp).get().activeProducers();
            r.put("producers", producers.size());
            r.put("producers_in_txn", producers.stream()
                    .filter(p -> p.currentTransactionStartOffset().isPresent()).count());

            Collection<TransactionListing> txns = admin.listTransactions().all().get();
            r.put("list_transactions", txns.stream().filter(l -> l.transactionalId().equals(txnId))
                    .map(l -> l.state().toString()).toList());
            TransactionDescription td = admin.describeTransactions(List.of(txnId))
                    .description(txnId).get();
            r.put("describe_transaction", List.of(td.state().toString(),
                    td.topicPartitions().contains(tp), td.transactionStartTimeMs().isPresent()));
            tx.commitTransaction();
            r.put("describe_after_commit", admin.describeTransactions(List.of(txnId))
                    .description(txnId).get().state().toString());
        }
        r.put("describe_unknown_transaction", outcome(admin.describeTransactions(
                List.of("java-nope-" + run)).all()));
        r.put("fence_producers", outcome(admin.fenceProducers(List.of(txnId)).all()));

        ClientQuotaEntity entity = new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER,
                "java-quota-" + run));
        admin.alterClientQuotas(List.of(new ClientQuotaAlteration(entity, List.of(
                new ClientQuotaAlteration.Op("producer_byte_rate", 1048576.0),
                new ClientQuotaAlteration.Op("consumer_byte_rate", 2097152.0))))).all().get();
        Map<ClientQuotaEntity, Map<String, Double>> quotas =
                admin.describeClientQuotas(ClientQuotaFilter.all()).entities().get();
        r.put("quotas", quotas.get(entity) == null ? null : new TreeMap<>(quotas.get(entity)));
        admin.alterClientQuotas(List.of(new ClientQuotaAlteration(entity, List.of(
                new ClientQuotaAlteration.Op("producer_byte_rate", null),
                new ClientQuotaAlteration.Op("consumer_byte_rate", null))))).all().get();
        r.put("quotas_after_remove", admin.describeClientQuotas(ClientQuotaFilter.all())
                .entities().get().containsKey(entity));

        r.put("elect_leaders", outcome(admin.electLeaders(ElectionType.PREFERRED, Set.of(tp))
                .all()));
        r.put("reassignments", admin.listPartitionReassignments().reassignments().get().size());
    }

    void unsupported(Map<String, Object> r) throws Exception {
        long start = System.currentTimeMillis();
        r.put("describe_share_groups", outcome(admin.describeShareGroups(List.of("x")).all()));
        r.put("describe_streams_groups", outcome(admin.describeStreamsGroups(List.of("x")).all()));
        r.put("describe_delegation_token", outcome(admin.describeDelegationToken()
                .delegationTokens()));
        r.put("list_config_resources", outcome(admin.listConfigResources().all()));
        r.put("elapsed_ms", System.currentTimeMillis() - start);
    }
}
