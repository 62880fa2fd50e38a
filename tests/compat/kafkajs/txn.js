// Transactions: commit, abort and sendOffsets; an open transaction holding back a
// read_committed consumer until it commits; a zombie fenced by a newer producer.
'use strict'

const { CompressionTypes, Partitioners } = require('kafkajs')
const { input, kafka, main, errorOf, until } = require('./lib')

main(async () => {
  const client = kafka()
  const { topic, source, group, txnId } = input
  const admin = client.admin()
  await admin.connect()
  const txnProducer = (id) =>
    client.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 })
  const plain = client.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await plain.connect()
  await plain.send({
    topic: source,
    messages: [0, 1, 2, 3, 4].map((i) => ({ value: `src-${i}` })),
  })
  const msg = (partition, value) => ({ partition, value })
  const offsetsOf = (offset) => ({
    consumerGroupId: group,
    topics: [{ topic: source, partitions: [{ partition: 0, offset }] }],
  })

  const producer = txnProducer(txnId)
  await producer.connect()
  let tx = await producer.transaction()
  await tx.send({ topic, messages: [msg(0, 'c1'), msg(1, 'c2')] })
  await tx.sendOffsets(offsetsOf('3'))
  await tx.commit()
  tx = await producer.transaction()
  await tx.send({ topic, messages: [msg(0, 'a1'), msg(1, 'a2')] })
  await tx.sendOffsets(offsetsOf('5'))
  await tx.abort()
  tx = await producer.transaction()
  await tx.send({ topic, compression: CompressionTypes.GZIP, messages: [msg(1, 'c3')] })
  await tx.commit()
  const committedOffsets = await admin.fetchOffsets({ groupId: group, topics: [source] })

  // an open transaction: a read_committed consumer stops at it (the last stable offset),
  // so it sees neither its record nor the plain one written after it until it commits
  const open = await producer.transaction()
  await open.send({ topic, messages: [msg(0, 'open')] })
  await plain.send({ topic, messages: [msg(0, 'after-open')] })
  const consumer = client.consumer({ groupId: `${group}-rc`, maxWaitTimeInMs: 100 })
  const seen = []
  let fetches = 0
  consumer.on(consumer.events.FETCH, () => fetches++)
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ partition, message }) =>
      seen.push([partition, Number(message.offset), message.value.toString()]),
  })
  await until(() => seen.length >= 3, 'the committed records')
  const fetchesThen = fetches
  await until(() => fetches >= fetchesThen + 3, 'three more fetches')
  const beforeCommit = seen.slice()
  await open.commit()
  await until(() => seen.length >= 5, 'the records of the committed transaction')
  await consumer.disconnect()

  // fencing: the first transaction() of a second producer with the same id fences the first
  const zombie = txnProducer(`${txnId}-z`)
  await zombie.connect()
  const zt = await zombie.transaction()
  await zt.send({ topic, messages: [msg(1, 'zombie-1')] })
  const successor = txnProducer(`${txnId}-z`)
  await successor.connect()
  const st = await successor.transaction()
  const fenced = {}
  try {
    await zt.send({ topic, messages: [msg(1, 'zombie-2')] })
  } catch (e) {
    fenced.send = errorOf(e)
  }
  try {
    await zt.commit()
  } catch (e) {
    fenced.commit = errorOf(e)
  }
  await st.send({ topic, messages: [msg(1, 'successor')] })
  await st.commit()

  const readAll = async (readUncommitted, count) => {
    const c = client.consumer({
      groupId: `${group}-${readUncommitted}`,
      maxWaitTimeInMs: 100,
      readUncommitted,
    })
    const got = []
    await c.connect()
    await c.subscribe({ topics: [topic], fromBeginning: true })
    await c.run({
      eachMessage: async ({ partition, message }) =>
        got.push([partition, Number(message.offset), message.value.toString()]),
    })
    await until(() => got.length >= count, `${count} records (readUncommitted ${readUncommitted})`)
    await c.disconnect()
    return got.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  }
  const readCommitted = await readAll(false, 6)
  const readUncommitted = await readAll(true, 9)
  const endOffsets = await admin.fetchTopicOffsets(topic)
  await Promise.all([producer.disconnect(), zombie.disconnect(), successor.disconnect()])
  await plain.disconnect()
  await admin.disconnect()
  return {
    committedOffsets,
    beforeCommit,
    afterCommit: seen,
    fenced,
    readCommitted,
    readUncommitted,
    endOffsets,
  }
})
