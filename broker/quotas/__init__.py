"""Client quotas, as Apache Kafka serves them.

* ``entity``: entity types (user, client-id, ip), quota keys and their value types.
* ``alter``: the controller's rules for AlterClientQuotas, producing ClientQuotaRecords.
* ``describe``: DescribeClientQuotas filters and matching.
* ``rate``: Kafka's sampled rate (quota.window.num samples of quota.window.size.seconds).
* ``limits``: which quota applies to a (user, client id), with Kafka's precedence.
* ``enforcer``: the per-request hook that records usage, answers with a throttle time and
  mutes the connection for it (KIP-219); installed on the broker only while a quota it
  enforces exists, so a broker without quotas pays one attribute check per request.
"""
