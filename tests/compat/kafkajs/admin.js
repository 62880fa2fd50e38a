// The admin client's calls, each recorded as {ok: result} or {error: {name, type, message}}.
'use strict'

const { ConfigResourceTypes, Partitioners } = require('kafkajs')
const { input, kafka, main, errorOf } = require('./lib')

main(async () => {
  const client = kafka()
  const admin = client.admin()
  const out = {}
  const step = async (name, fn) => {
    try {
      const result = await fn()
      out[name] = { ok: result === undefined ? null : result }
    } catch (e) {
      out[name] = { error: errorOf(e) }
      if (e.name === 'KafkaJSAggregateError') out[name].error.errors = e.errors.map(errorOf)
      if (e.name === 'KafkaJSDeleteGroupsError')
        out[name].error.groups = e.groups.map((g) => g.error.type)
    }
  }
  const { topic, group } = input
  const other = `${topic}-other`
  const describe = async (name, configNames) =>
    (
      await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name, configNames }],
      })
    ).resources[0].configEntries.map((e) => [e.configName, e.configValue, e.isDefault])

  await admin.connect()
  // validateOnly creates nothing; KafkaJS then asks Metadata for the topic, which would
  // fail (as on Kafka), so it must not wait for leaders
  await step('createValidateOnly', () =>
    admin.createTopics({
      validateOnly: true,
      waitForLeaders: false,
      topics: [{ topic: other, numPartitions: 2 }],
    }),
  )
  await step('create', () =>
    admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 2,
          configEntries: [
            { name: 'retention.ms', value: '123456' },
            { name: 'cleanup.policy', value: 'delete' },
          ],
        },
      ],
    }),
  )
  await step('createAgain', () => admin.createTopics({ topics: [{ topic, numPartitions: 2 }] }))
  await step('createBadConfig', () =>
    admin.createTopics({
      topics: [{ topic: other, configEntries: [{ name: 'cleanup.policy', value: 'nope' }] }],
    }),
  )
  await step('listTopics', async () =>
    (await admin.listTopics()).filter((t) => t.startsWith(topic)),
  )
  await step('createPartitions', () =>
    admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] }),
  )
  await step('createPartitionsFewer', () =>
    admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] }),
  )
  await step('metadata', async () =>
    (await admin.fetchTopicMetadata({ topics: [topic] })).topics.map((t) => [
      t.name,
      t.partitions
        .map((p) => [p.partitionId, p.leader, p.partitionErrorCode])
        .sort((a, b) => a[0] - b[0]),
    ]),
  )
  await step('describeConfigs', () =>
    describe(topic, ['retention.ms', 'cleanup.policy', 'segment.bytes']),
  )
  await step('alterConfigsValidateOnly', () =>
    admin.alterConfigs({
      validateOnly: true,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [{ name: 'retention.ms', value: '5' }],
        },
      ],
    }),
  )
  await step('describeAfterValidateOnly', () => describe(topic, ['retention.ms']))
  await step('alterConfigs', () =>
    admin.alterConfigs({
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [{ name: 'retention.ms', value: '999000' }],
        },
      ],
    }),
  )
  await step('describeAfterAlter', () => describe(topic, ['retention.ms']))
  await step('alterConfigsBad', () =>
    admin.alterConfigs({
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [{ name: 'retention.ms', value: 'abc' }],
        },
      ],
    }),
  )

  // three records on partition 0 at known timestamps, one on partition 1
  const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  const t0 = input.timestamp
  await producer.send({
    topic,
    messages: [
      { partition: 0, value: 'a', timestamp: String(t0) },
      { partition: 0, value: 'b', timestamp: String(t0 + 1000) },
      { partition: 0, value: 'c', timestamp: String(t0 + 2000) },
      { partition: 1, value: 'd', timestamp: String(t0 + 3000) },
    ],
  })
  await producer.disconnect()

  await step('topicOffsets', () => admin.fetchTopicOffsets(topic))
  await step('offsetsByTimestamp', () => admin.fetchTopicOffsetsByTimestamp(topic, t0 + 500))
  // past every record: Kafka answers -1, which KafkaJS turns into the high watermark
  await step('offsetsByLateTimestamp', () => admin.fetchTopicOffsetsByTimestamp(topic, t0 + 10000))

  // group offsets: set, reset and resolve each run a throwaway consumer in which KafkaJS
  // sleeps its 5 s fetch wait (every partition paused), so the three run side by side;
  // resolving a group with no offsets resets it to the earliest ones
  const [g1, g2, g3] = [`${group}-set`, `${group}-reset`, `${group}-resolve`]
  await Promise.all([
    step('setOffsets', () =>
      admin.setOffsets({
        groupId: g1,
        topic,
        partitions: [
          { partition: 0, offset: '2' },
          { partition: 1, offset: '1' },
        ],
      }),
    ),
    step('resetOffsets', () => admin.resetOffsets({ groupId: g2, topic, earliest: true })),
    step('fetchOffsetsResolved', () =>
      admin.fetchOffsets({ groupId: g3, topics: [topic], resolveOffsets: true }),
    ),
  ])
  await step('fetchOffsets', () => admin.fetchOffsets({ groupId: g1, topics: [topic] }))
  await step('fetchOffsetsAllTopics', () => admin.fetchOffsets({ groupId: g1 }))
  await step('fetchOffsetsReset', () => admin.fetchOffsets({ groupId: g2, topics: [topic] }))
  await step('describeGroups', async () =>
    (await admin.describeGroups([g1])).groups.map((g) => [
      g.groupId,
      g.state,
      g.protocolType,
      g.members.length,
    ]),
  )
  await step('listGroups', async () =>
    (await admin.listGroups()).groups
      .filter((g) => g.groupId.startsWith(group))
      .map((g) => [g.groupId, g.protocolType])
      .sort(),
  )
  await step('deleteRecords', async () => {
    await admin.deleteTopicRecords({
      topic,
      partitions: [
        { partition: 0, offset: '2' },
        { partition: 1, offset: '-1' },
      ],
    })
    return admin.fetchTopicOffsets(topic)
  })
  await step('deleteGroups', () => admin.deleteGroups([g1, g2]))
  await step('deleteUnknownGroup', () => admin.deleteGroups([`${group}-never`]))
  await step('listGroupsAfter', async () =>
    (await admin.listGroups()).groups
      .filter((g) => g.groupId.startsWith(group))
      .map((g) => g.groupId)
      .sort(),
  )
  await step('describeCluster', () => admin.describeCluster())
  await step('describeAclsWithoutAuthorizer', () =>
    admin.describeAcls({
      resourceType: 1,
      resourcePatternType: 1,
      operation: 1,
      permissionType: 1,
    }),
  )
  await step('deleteTopics', () => admin.deleteTopics({ topics: [topic] }))
  await step('listTopicsAfter', async () =>
    (await admin.listTopics()).filter((t) => t.startsWith(topic)),
  )
  await admin.disconnect()
  return out
})
