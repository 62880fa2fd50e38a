// What every script shares: its input (one JSON document on stdin), a Kafka client logging to
// stderr (stdout carries only the result, one JSON document), codecs, waits, record encoding.
'use strict'

const fs = require('fs')
const { Kafka, logLevel, CompressionTypes, CompressionCodecs } = require('kafkajs')
const SnappyCodec = require('kafkajs-snappy')
const lz4 = require('lz4-napi')
const { ZstdCodec } = require('zstd-codec')

// KafkaJS ships gzip only. Snappy is its documented kafkajs-snappy; its documented lz4 and
// zstd codecs need native builds (kafkajs-lz4 a node-gyp one, @kafkajs/zstd fails to build on
// Node 20), so lz4 and zstd wrap libraries that install prebuilt (lz4-napi: LZ4 frames, as
// Kafka's lz4 is) or pure (zstd-codec). lz4js was tried and decodes some valid frames wrongly.
// zstd-codec's Simple API returns null for frames without a content size (librdkafka's), so
// decompression streams.
let zstd = null
let zstdStream = null
const zstdReady = new Promise((resolve) =>
  ZstdCodec.run((z) => {
    zstd = new z.Simple()
    zstdStream = new z.Streaming()
    resolve()
  }),
)
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  compress: (encoder) => lz4.compressFrame(encoder.buffer),
  decompress: (buffer) => lz4.decompressFrame(buffer),
})
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  compress: async (encoder) => {
    await zstdReady
    return Buffer.from(zstd.compress(encoder.buffer))
  },
  decompress: async (buffer) => {
    await zstdReady
    return Buffer.from(zstdStream.decompress(buffer))
  },
})

const CODECS = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
}

const input = JSON.parse(fs.readFileSync(0, 'utf8') || '{}')

const stderrLogger =
  () =>
  ({ namespace, label, log }) => {
    process.stderr.write(JSON.stringify({ level: label, namespace, ...log }) + '\n')
  }

/** A client of the broker the test started; options override (ssl, sasl, brokers...). */
function kafka(options = {}) {
  return new Kafka({
    clientId: 'kjs-test',
    brokers: [input.bootstrap],
    logLevel: logLevel.WARN,
    logCreator: stderrLogger,
    retry: { initialRetryTime: 100, retries: 5 },
    ...options,
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolve once ``predicate()`` (sync or async) holds; reject after ``ms`` naming ``what``. */
async function until(predicate, what, ms = 20000) {
  const deadline = Date.now() + ms
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(20)
  }
}

// Records cross the process boundary as {key, value, headers: [[name, value]], timestamp}
// with bytes in base64 and null kept null; KafkaJS takes and gives headers as an object
// whose repeated names hold arrays.
const b64 = (buf) => (buf == null ? null : Buffer.from(buf).toString('base64'))
const bytes = (s) => (s == null ? null : Buffer.from(s, 'base64'))

function toMessage(r, extra = {}) {
  const headers = {}
  for (const [name, value] of r.headers || []) {
    const v = bytes(value)
    headers[name] = name in headers ? [].concat(headers[name], [v]) : v
  }
  const m = { key: bytes(r.key), value: bytes(r.value), headers, ...extra }
  if (r.timestamp != null) m.timestamp = String(r.timestamp)
  return m
}

function fromMessage(m) {
  const headers = []
  for (const [name, value] of Object.entries(m.headers || {})) {
    for (const v of Array.isArray(value) ? value : [value]) headers.push([name, b64(v)])
  }
  return { key: b64(m.key), value: b64(m.value), headers, timestamp: Number(m.timestamp) }
}

/** Every record of ``topic`` from the beginning, per partition, read by a group consumer. */
async function readAll(client, topic, count, options = {}) {
  const consumer = client.consumer({
    groupId: `read-${topic}-${Date.now()}`,
    maxWaitTimeInMs: 100,
    ...options,
  })
  const byPartition = {}
  let n = 0
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        ;(byPartition[partition] = byPartition[partition] || []).push({
          offset: Number(message.offset),
          ...fromMessage(message),
        })
        n++
      },
    })
    await until(() => n >= count, `${count} records of ${topic} (got ${n})`)
  } finally {
    await consumer.disconnect()
  }
  return byPartition
}

/** The error fields a test asserts on: KafkaJS class name and Kafka error type. */
function errorOf(e) {
  return { name: e.name, type: e.type || null, message: e.message }
}

/** Run ``fn`` and print its result as JSON; on failure print the stack and exit 1. */
function main(fn) {
  fn()
    .then((result) => {
      // exit once the pipe has taken the whole document: a large one is written in parts
      const doc = JSON.stringify(result === undefined ? {} : result) + '\n'
      process.stdout.write(doc, () => process.exit(0))
    })
    .catch((e) => {
      process.stderr.write(`FAILED: ${e && e.stack ? e.stack : e}\n`)
      process.exit(1)
    })
}

const readFile = (path) => fs.readFileSync(path)

module.exports = {
  CODECS,
  input,
  kafka,
  sleep,
  until,
  toMessage,
  fromMessage,
  readAll,
  errorOf,
  main,
  readFile,
}
