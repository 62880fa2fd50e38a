// Produce the input's sends (each: topic, partition, codec, acks, records) with one producer,
// then read the input's topics back from the beginning. Output: {produced, read}.
'use strict'

const { Partitioners } = require('kafkajs')
const { CODECS, input, kafka, main, readAll, toMessage } = require('./lib')

main(async () => {
  const client = kafka()
  const producer = client.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: !!input.idempotent,
    maxInFlightRequests: input.idempotent ? 1 : undefined,
  })
  await producer.connect()
  const send = (s) =>
    producer.send({
      topic: s.topic,
      acks: s.acks,
      compression: CODECS[s.codec],
      messages: s.records.map((r) =>
        toMessage(r, s.partition == null ? {} : { partition: s.partition }),
      ),
    })
  let produced
  if (input.concurrent) {
    produced = await Promise.all(input.sends.map(send))
  } else {
    produced = []
    for (const s of input.sends) produced.push(await send(s))
  }
  await producer.disconnect()
  const topics = Object.entries(input.read || {})
  const partitions = await Promise.all(
    topics.map(([topic, count]) => readAll(client, topic, count)),
  )
  const read = Object.fromEntries(topics.map(([topic], i) => [topic, partitions[i]]))
  return { produced, read }
})
