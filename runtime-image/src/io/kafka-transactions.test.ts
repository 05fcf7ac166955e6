import { ProtocolError, ResponseError } from '@platformatic/kafka';
import { kafkaErrorId, KafkaTransactionError, parseBroker } from './kafka-transactions.ts';

describe('kafkaErrorId', () => {
  it('finds the protocol error id inside a response error, a cause, or not at all', () => {
    const response = new ResponseError(26, 4, { '/': [90, null] }, {});
    expect(kafkaErrorId(response)).toBe('PRODUCER_FENCED');
    expect(kafkaErrorId(new ProtocolError(47))).toBe('INVALID_PRODUCER_EPOCH');
    expect(kafkaErrorId(new Error('wrapped', { cause: response }))).toBe('PRODUCER_FENCED');
    expect(kafkaErrorId(new Error('connect ECONNREFUSED'))).toBeUndefined();
    expect(kafkaErrorId(undefined)).toBeUndefined();
  });
});

describe('parseBroker', () => {
  it('reads host:port, also a bracketed IPv6 host', () => {
    expect(parseBroker('127.0.0.1:9092')).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(parseBroker(' kafka-0.kafka:19092 ')).toEqual({ host: 'kafka-0.kafka', port: 19092 });
    expect(parseBroker('[::1]:9092')).toEqual({ host: '::1', port: 9092 });
  });

  it('refuses anything else with the address in the message', () => {
    for (const bad of ['kafka', 'kafka:', 'kafka:99999', ':9092x']) {
      expect(() => parseBroker(bad)).toThrow(KafkaTransactionError);
      expect(() => parseBroker(bad)).toThrow(JSON.stringify(bad));
    }
  });
});
