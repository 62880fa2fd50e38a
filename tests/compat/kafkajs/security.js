// TLS and SASL listeners, and the ACL calls of the admin client against a broker with an
// authorizer: a super user grants users a topic prefix, each mechanism and listener then
// round-trips a record, refusals come back as Kafka's errors, and deleted ACLs stop access.
'use strict'

const {
  AclResourceTypes: R,
  AclOperationTypes: O,
  AclPermissionTypes: P,
  ResourcePatternTypes: PT,
  Partitioners,
} = require('kafkajs')
const { input, kafka, main, errorOf, readFile, until } = require('./lib')

const { listeners, prefix, mtlsPrincipal } = input
const ca = [readFile(input.ca)]
const sasl = (mechanism, username, password) => ({ sasl: { mechanism, username, password } })
const CLIENTS = {
  'plain-bob': { brokers: [listeners.SASL_PLAINTEXT], ...sasl('plain', 'bob', 'bob-secret') },
  'scram256-alice': {
    brokers: [listeners.SASL_PLAINTEXT],
    ...sasl('scram-sha-256', 'alice', 'alice-secret'),
  },
  'scram512-alice': {
    brokers: [listeners.SASL_PLAINTEXT],
    ...sasl('scram-sha-512', 'alice', 'alice-secret'),
  },
  'ssl-scram512-alice': {
    brokers: [listeners.SASL_SSL],
    ssl: { ca },
    ...sasl('scram-sha-512', 'alice', 'alice-secret'),
  },
  'ssl-plain-bob': {
    brokers: [listeners.SASL_SSL],
    ssl: { ca },
    ...sasl('plain', 'bob', 'bob-secret'),
  },
  'ssl-anonymous': { brokers: [listeners.SSL], ssl: { ca } },
  mtls: {
    brokers: [listeners.MTLS],
    ssl: { ca, cert: readFile(input.clientCert), key: readFile(input.clientKey) },
  },
}
const client = (name, extra = {}) =>
  kafka({ ...CLIENTS[name], retry: { retries: 0 }, connectionTimeout: 5000, ...extra })

async function produceOne(name, topic) {
  const producer = client(name).producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  try {
    return await producer.send({ topic, messages: [{ value: `from ${name}` }] })
  } finally {
    await producer.disconnect()
  }
}

async function consumeOne(name, topic) {
  const consumer = client(name).consumer({ groupId: topic, maxWaitTimeInMs: 100 })
  const got = []
  let crash = null
  consumer.on(consumer.events.CRASH, (e) => (crash = e.payload.error))
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => got.push(message.value.toString()) })
    await until(() => got.length > 0 || crash, `the record of ${name}`)
    if (crash) throw crash
    return got
  } finally {
    await consumer.disconnect()
  }
}

async function roundTrip(name, topic) {
  await produceOne(name, topic)
  return consumeOne(name, topic)
}

async function outcome(fn) {
  try {
    return { ok: (await fn()) ?? null }
  } catch (e) {
    return { error: errorOf(e) }
  }
}

main(async () => {
  const admin = kafka({
    brokers: [listeners.SASL_PLAINTEXT],
    ...sasl('plain', 'admin', 'admin-secret'),
  }).admin()
  await admin.connect()
  const binding = (principal, resourceType, resourceName, operation, extra = {}) => ({
    resourceType,
    resourceName,
    resourcePatternType: PT.PREFIXED,
    principal,
    host: '*',
    operation,
    permissionType: P.ALLOW,
    ...extra,
  })
  const users = ['User:alice', 'User:bob', mtlsPrincipal]
  const acl = users.flatMap((u) => [
    binding(u, R.TOPIC, prefix, O.ALL),
    binding(u, R.GROUP, prefix, O.READ),
  ])
  const denied = `${prefix}denied`
  acl.push(
    binding('User:alice', R.TOPIC, denied, O.READ, {
      resourcePatternType: PT.LITERAL,
      permissionType: P.DENY,
    }),
  )
  const out = { created: await admin.createAcls({ acl }) }
  const any = {
    resourceType: R.ANY,
    resourcePatternType: PT.ANY,
    operation: O.ANY,
    permissionType: P.ANY,
  }
  out.described = (await admin.describeAcls(any)).resources
  out.matching = (
    await admin.describeAcls({
      ...any,
      resourceType: R.TOPIC,
      resourceName: denied,
      resourcePatternType: PT.MATCH,
    })
  ).resources

  out.roundTrips = {}
  for (const name of Object.keys(CLIENTS)) {
    out.roundTrips[name] = await outcome(() => roundTrip(name, `${prefix}${name}`))
  }
  out.badPlain = await outcome(() =>
    kafka({
      brokers: [listeners.SASL_PLAINTEXT],
      retry: { retries: 0 },
      ...sasl('plain', 'bob', 'nope'),
    })
      .admin()
      .connect(),
  )
  out.badScram = await outcome(() =>
    kafka({
      brokers: [listeners.SASL_PLAINTEXT],
      retry: { retries: 0 },
      ...sasl('scram-sha-256', 'alice', 'nope'),
    })
      .admin()
      .connect(),
  )
  const aliceAdmin = client('scram256-alice').admin()
  await aliceAdmin.connect()
  out.aliceDescribeAcls = await outcome(() => aliceAdmin.describeAcls(any))
  out.aliceOtherTopic = await outcome(() => produceOne('scram256-alice', `not-${prefix}`))
  // a DENY of Read leaves Write (and the Describe that ALLOW All implies) to alice
  out.aliceDeniedWrite = await outcome(async () =>
    (await produceOne('scram256-alice', denied)).map((r) => r.errorCode),
  )
  out.aliceDeniedRead = await outcome(() => consumeOne('scram256-alice', denied))
  out.deleted = await admin.deleteAcls({
    filters: [{ ...any, resourceType: R.TOPIC, principal: 'User:alice' }],
  })
  out.aliceAfterDelete = await outcome(() => roundTrip('scram256-alice', `${prefix}after-delete`))
  out.bobAfterDelete = await outcome(() => roundTrip('plain-bob', `${prefix}bob-after-delete`))
  await aliceAdmin.disconnect()
  await admin.disconnect()
  return out
})
