// One consumer's controls: eachBatch with manual resolution, pause/resume, seek,
// commitOffsets; where a new member starts (committed offsets, latest, out of range).
'use strict'

const { Partitioners } = require('kafkajs')
const { input, kafka, main, until } = require('./lib')

main(async () => {
  const client = kafka()
  const { topic, group } = input
  const admin = client.admin()
  await admin.connect()
  const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  const send = (partition, from, n) =>
    producer.send({
      topic,
      messages: Array.from({ length: n }, (_, i) => ({
        partition,
        value: `p${partition}-${from + i}`,
      })),
    })
  await send(0, 0, 10)
  await send(1, 0, 10)
  const out = {}

  const c = client.consumer({ groupId: group, maxWaitTimeInMs: 100, heartbeatInterval: 300 })
  const got = []
  let fetches = 0
  c.on(c.events.FETCH, () => fetches++)
  await c.connect()
  await c.subscribe({ topics: [topic], fromBeginning: true })
  await c.run({
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const m of batch.messages) {
        got.push(m.value.toString())
        resolveOffset(m.offset)
      }
      await heartbeat()
    },
  })
  await until(() => got.length === 20, 'the first 20 records')
  c.pause([{ topic, partitions: [0] }])
  out.paused = c.paused()
  await send(0, 10, 5)
  await send(1, 10, 5)
  await until(() => got.length === 25, 'partition 1 while 0 is paused')
  const fetchesThen = fetches
  await until(() => fetches >= fetchesThen + 3, 'three more fetches while paused')
  out.whilePaused = got.slice(20)
  c.resume([{ topic, partitions: [0] }])
  await until(() => got.length === 30, 'partition 0 once resumed')
  out.afterResume = got.slice(25)
  await c.commitOffsets([
    { topic, partition: 0, offset: '12' },
    { topic, partition: 1, offset: '15' },
  ])
  out.committed = await admin.fetchOffsets({ groupId: group, topics: [topic] })
  c.seek({ topic, partition: 1, offset: '3' })
  await until(() => got.length === 42, 'partition 1 again from offset 3')
  out.afterSeek = got.slice(30)
  await c.disconnect()

  // a new member starts where the group committed (12 and 15), not where the seek left off
  const resumed = []
  const c2 = client.consumer({ groupId: group, maxWaitTimeInMs: 100 })
  await c2.connect()
  await c2.subscribe({ topics: [topic] })
  await c2.run({ eachMessage: async ({ message }) => resumed.push(message.value.toString()) })
  await until(() => resumed.length === 3, 'the records after the committed offsets')
  await send(1, 15, 1)
  await until(() => resumed.length === 4, 'a new record')
  out.resumed = resumed
  await c2.disconnect()

  // a committed offset below the log start is out of range: KafkaJS resets to the earliest
  // (fromBeginning) or the latest offset, as the broker's ListOffsets answers them
  // (committed by a member rather than admin.setOffsets, which idles 5 s in KafkaJS)
  const committer = client.consumer({ groupId: `${group}-oor`, maxWaitTimeInMs: 100 })
  let assigned = false
  committer.on(committer.events.GROUP_JOIN, () => (assigned = true))
  await committer.connect()
  await committer.subscribe({ topics: [topic] })
  await committer.run({ autoCommit: false, eachMessage: async () => {} })
  await until(() => assigned, 'the committing member to join')
  await committer.commitOffsets([{ topic, partition: 0, offset: '2' }])
  await committer.disconnect()
  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '13' }] })
  out.lowAfterDelete = (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.low])
  for (const fromBeginning of [true, false]) {
    const seen = []
    const oor = client.consumer({ groupId: `${group}-oor`, maxWaitTimeInMs: 100 })
    let joined = false
    oor.on(oor.events.GROUP_JOIN, () => (joined = true))
    await oor.connect()
    await oor.subscribe({ topics: [topic], fromBeginning })
    await oor.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => seen.push([partition, Number(message.offset)]),
    })
    await until(() => joined, 'the out-of-range consumer to join')
    if (!fromBeginning) {
      let f = 0
      oor.on(oor.events.FETCH, () => f++)
      await until(() => f >= 3, 'three fetches at the end of the log')
      await send(0, 15, 1)
    }
    const want = fromBeginning ? 2 : 1
    await until(() => seen.filter(([p]) => p === 0).length >= want, 'records of partition 0')
    out[`outOfRange-${fromBeginning}`] = seen.filter(([p]) => p === 0).map(([, o]) => o)
    await oor.disconnect()
  }
  await producer.disconnect()
  await admin.disconnect()
  return out
})
