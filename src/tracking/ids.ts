/** New ids and names in MLflow's forms: run ids, integer experiment ids, `adjective-noun-123` run names. */
import { randomInt, randomUUID } from 'node:crypto';

/** MLflow's run id: `uuid.uuid4().hex`. */
export function newUuidHex(): string {
  return randomUUID().replace(/-/g, '');
}

/** MLflow's experiment id: the last 18 decimal digits of a uuid4, leading zeros re-drawn. */
export function newIntegerExperimentId(): string {
  const digits = BigInt(`0x${newUuidHex()}`).toString().slice(-18);
  const leadingZeros = digits.length - digits.replace(/^0+/, '').length;
  let extra = '';
  for (let i = 0; i < leadingZeros; i++) extra += String(randomInt(10));
  return BigInt(digits + extra).toString();
}

const NAME_WORDS = {
  adjectives: ['able', 'bold', 'bright', 'calm', 'clever', 'eager', 'gentle', 'lucky', 'melodic', 'nimble', 'quiet', 'rare', 'sleek', 'swift', 'vivid', 'wise'],
  nouns: ['bass', 'cod', 'crane', 'finch', 'fox', 'hare', 'koi', 'lark', 'lynx', 'moth', 'owl', 'robin', 'seal', 'swan', 'wren', 'yak'],
};

/** A random run name in MLflow's `adjective-noun-123` form. */
export function randomRunName(): string {
  const pick = (xs: string[]) => xs[randomInt(xs.length)];
  return `${pick(NAME_WORDS.adjectives)}-${pick(NAME_WORDS.nouns)}-${randomInt(1000)}`;
}
