/** Deterministic pseudo-random numbers and plausible fake people, shared by every emulator. */

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export class Random {
  private state: number;

  constructor(seed: number) {
    // mulberry32: tiny, fast, good enough for test data.
    this.state = seed >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  string(length: number, alphabet = ALPHANUMERIC): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }

  /** A fresh seed for an independent stream. */
  fork(): Random {
    return new Random(Math.floor(this.next() * 4294967296));
  }
}

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Radia', 'Linus', 'Frances', 'Dennis', 'Hedy', 'John', 'Katherine', 'Tim'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Perlman', 'Torvalds', 'Allen', 'Ritchie', 'Lamarr', 'McCarthy', 'Johnson', 'Berners-Lee'];
const CITIES: ReadonlyArray<readonly [string, string, string, string]> = [
  ['San Francisco', 'US', 'CA', '94107'],
  ['New York', 'US', 'NY', '10001'],
  ['Austin', 'US', 'TX', '73301'],
  ['Seattle', 'US', 'WA', '98101'],
];

export interface FakePerson {
  name: string;
  email: string;
  phone: string;
  address: { city: string; country: string; line1: string; line2: null; postal_code: string; state: string };
}

export function fakePerson(random: Random): FakePerson {
  const first = random.pick(FIRST_NAMES);
  const last = random.pick(LAST_NAMES);
  const [city, country, state, postal] = random.pick(CITIES);
  return {
    name: `${first} ${last}`,
    email: `${first}.${last}.${random.string(5, 'abcdefghijklmnopqrstuvwxyz0123456789')}@example.com`.toLowerCase(),
    phone: `+1415555${String(random.int(0, 9999)).padStart(4, '0')}`,
    address: { city, country, line1: `${random.int(1, 999)} Market Street`, line2: null, postal_code: postal, state },
  };
}
