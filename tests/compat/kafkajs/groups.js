// A consumer group whose members come and go (A; A+B; A+B+C; B+C; C) while records are
// produced; after each change, the live members' assignments once they cover the topic.
// Then a group whose assignor (a custom one) passes userData both ways, and a member that
// picks up partitions added to its topic.
'use strict'

const { AssignerProtocol, Partitioners } = require('kafkajs')
const { input, kafka, main, until } = require('./lib')

const { MemberAssignment, MemberMetadata } = AssignerProtocol

// Hands out partitions by member id order; its metadata and assignments carry userData
// bytes that must come back exactly (JoinGroup and SyncGroup pass them through untouched).
const EvenOdd = () => ({
  name: 'EvenOdd',
  version: 7,
  async assign({ members, topics }) {
    const ids = members.map((m) => m.memberId).sort()
    return ids.map((memberId, i) => ({
      memberId,
      memberAssignment: MemberAssignment.encode({
        version: 7,
        assignment: { [topics[0]]: [0, 1, 2, 3].filter((p) => p % ids.length === i) },
        userData: Buffer.from([0xde, 0xad, i, 0x00, 0xff]),
      }),
    }))
  },
  protocol({ topics }) {
    const userData = Buffer.from('meta-\u00e9\u0000', 'utf8')
    return { name: 'EvenOdd', metadata: MemberMetadata.encode({ version: 7, topics, userData }) }
  },
})

main(async () => {
  const client = kafka()
  const { topic, group, partitions } = input
  const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  let produced = 0
  const produce = (n) =>
    producer.send({
      topic,
      messages: Array.from({ length: n }, () => ({
        key: `k${produced % 13}`,
        value: String(produced++),
      })),
    })

  const seenBy = {} // value -> [member, ...]
  const assigned = {} // member -> its latest assignment
  const members = {}
  const start = async (name) => {
    const c = client.consumer({
      groupId: group,
      maxWaitTimeInMs: 100,
      heartbeatInterval: 200,
      sessionTimeout: 10000,
    })
    c.on(c.events.GROUP_JOIN, (e) => {
      assigned[name] = (e.payload.memberAssignment[topic] || []).slice().sort((a, b) => a - b)
    })
    await c.connect()
    await c.subscribe({ topics: [topic], fromBeginning: true })
    await c.run({
      eachMessage: async ({ message }) => {
        const v = message.value.toString()
        ;(seenBy[v] = seenBy[v] || []).push(name)
      },
    })
    members[name] = c
  }
  const stop = async (name) => {
    await members[name].disconnect()
    delete members[name]
    delete assigned[name]
  }
  // the live members' latest assignments cover every partition exactly once
  const settled = () => {
    const names = Object.keys(members)
    if (!names.every((n) => n in assigned)) return false
    const all = names.flatMap((n) => assigned[n]).sort((a, b) => a - b)
    return all.length === partitions && all.every((p, i) => p === i)
  }
  const phases = []
  const phase = async (change) => {
    await change()
    await until(settled, `assignments after ${phases.length} changes`)
    await produce(60)
    await until(() => Object.keys(seenBy).length === produced, `${produced} records`)
    phases.push(
      Object.fromEntries(
        Object.keys(members)
          .sort()
          .map((n) => [n, assigned[n]]),
      ),
    )
  }
  await phase(() => start('A'))
  await phase(() => start('B'))
  await phase(() => start('C'))
  await phase(() => stop('A'))
  await phase(() => stop('B'))
  await stop('C')
  const admin = client.admin()
  await admin.connect()
  const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] })
  const ends = await admin.fetchTopicOffsets(topic)

  // a custom assignor's userData, as the members and DescribeGroups see it
  const customGroup = `${group}-custom`
  const joins = []
  const custom = []
  for (const name of ['X', 'Y']) {
    const c = client.consumer({
      groupId: customGroup,
      maxWaitTimeInMs: 100,
      heartbeatInterval: 200,
      partitionAssigners: [EvenOdd],
    })
    c.on(c.events.GROUP_JOIN, (e) => joins.push([name, e.payload.groupProtocol]))
    await c.connect()
    await c.subscribe({ topics: [input.customTopic], fromBeginning: true })
    await c.run({ eachMessage: async () => {} })
    custom.push(c)
  }
  let described
  await until(async () => {
    ;[described] = (await admin.describeGroups([customGroup])).groups
    return described.state === 'Stable' && described.members.length === 2
  }, `${customGroup} stable with two members`)
  const customMembers = described.members.map((m) => {
    const a = MemberAssignment.decode(m.memberAssignment)
    const md = MemberMetadata.decode(m.memberMetadata)
    return {
      assignment: a.assignment,
      assignmentUserData: a.userData.toString('hex'),
      metadataUserData: md.userData.toString('hex'),
      version: [a.version, md.version],
    }
  })
  await Promise.all(custom.map((c) => c.disconnect()))

  // new partitions: a member refreshing metadata every second rejoins to take them
  const grown = input.growTopic
  const grower = client.consumer({
    groupId: `${group}-grow`,
    maxWaitTimeInMs: 100,
    heartbeatInterval: 200,
    metadataMaxAge: 500,
  })
  const growAssignments = []
  const grownRecords = []
  grower.on(grower.events.GROUP_JOIN, (e) =>
    growAssignments.push(e.payload.memberAssignment[grown]),
  )
  await grower.connect()
  await grower.subscribe({ topics: [grown], fromBeginning: true })
  await grower.run({
    eachMessage: async ({ partition, message }) =>
      grownRecords.push([partition, message.value.toString()]),
  })
  await producer.send({ topic: grown, messages: [{ partition: 0, value: 'before' }] })
  await until(() => grownRecords.length === 1, 'the first record')
  await admin.createPartitions({ topicPartitions: [{ topic: grown, count: 3 }] })
  await until(() => growAssignments.length >= 2, 'a rejoin with the new partitions')
  // a fresh producer: one whose cached metadata lacks the new partitions drops records sent
  // to them without an error (KafkaJS's send resolves to [])
  const late = client.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await late.connect()
  await late.send({
    topic: grown,
    messages: [
      { partition: 1, value: 'p1' },
      { partition: 2, value: 'p2' },
    ],
  })
  await late.disconnect()
  await until(() => grownRecords.length === 3, 'records of the new partitions')
  await grower.disconnect()
  await producer.disconnect()
  await admin.disconnect()
  return {
    produced,
    seenBy,
    phases,
    committed,
    ends,
    joins,
    customProtocol: described.protocol,
    customMembers,
    growAssignments,
    grownRecords,
  }
})
