#!/usr/bin/python3
"""A Kafka client independent of librdkafka against a broker.

Usage: kafka-python-roundtrip.py BOOTSTRAP [TOPIC]
       kafka-python-roundtrip.py --start-broker [TOPIC]

Produces one message with acks=all, consumes it back in a consumer group
and commits its offset by hand, then checks the broker kept the commit.
With --start-broker it first starts `$EV_BROKER --headless` (as
tests/meson.build does, so that our broker is checked against a Kafka
client that is not librdkafka) and stops it at the end.
Exits 0 on success, 1 on failure, 2 when python3-kafka is missing.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

try:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
except ImportError:
    print("python3-kafka (kafka-python) is not installed", file=sys.stderr)
    sys.exit(2)

TIMEOUT_S = 60


def main(bootstrap, topic):
    value = '{"v":1,"id":"%s","origin":"kafka-python"}' % uuid.uuid4()

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all",
                             client_id="kafka-python-roundtrip")
    producer.send(topic, key=b"CP-python", value=value.encode()).get(timeout=TIMEOUT_S)
    producer.close()

    group = "kafka-python-%s" % uuid.uuid4()
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                             client_id="kafka-python-roundtrip",
                             auto_offset_reset="earliest",
                             enable_auto_commit=False)
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            for partition, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    if record.key != b"CP-python" or record.value != value.encode():
                        continue
                    # Processed: commit, then read the commit back.
                    consumer.commit()
                    tp = TopicPartition(record.topic, record.partition)
                    committed = consumer.committed(tp)
                    if committed is None or committed < record.offset + 1:
                        print("commit not kept: %r < %d" % (committed, record.offset + 1),
                              file=sys.stderr)
                        return 1
                    print("round trip through %s[%d]@%d, committed %d"
                          % (record.topic, record.partition, record.offset, committed),
                          file=sys.stderr)
                    return 0
    finally:
        consumer.close()

    print("message not received within %d s" % TIMEOUT_S, file=sys.stderr)
    return 1


def with_broker(topic):
    """Starts ev-broker in a runtime folder of its own, runs the round trip
    against it, then asks it to quit."""
    broker = os.environ.get("EV_BROKER")
    if not broker:
        print("--start-broker needs EV_BROKER", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as runtime:
        env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
        proc = subprocess.Popen([broker, "--headless"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, env=env)
        try:
            ready = json.loads(proc.stdout.readline() or b"{}")
            if ready.get("event") != "ready":
                print("ev-broker did not say it was ready", file=sys.stderr)
                return 1
            return main(ready["bootstrap"], topic)
        finally:
            try:
                proc.stdin.write(b"quit\n")
                proc.stdin.close()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(1)
    topic_arg = sys.argv[2] if len(sys.argv) > 2 else "supply-req"
    if sys.argv[1] == "--start-broker":
        sys.exit(with_broker(topic_arg))
    sys.exit(main(sys.argv[1], topic_arg))
