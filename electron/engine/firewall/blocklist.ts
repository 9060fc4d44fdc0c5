import type { BlockEntry } from '../../../shared/contract/firewall.ts';
import { formatIp, parseCidr, type ParsedCidr } from '../../../shared/net/index.ts';
import { newAddressWords, FAMILY_V4, FAMILY_V6, type AddressFamily, type AddressWords } from './address.ts';
import { lookupV4, lookupV6, TrieBuilder, V4_LAYOUT, V6_LAYOUT } from './prefix-trie.ts';

export interface BlockRecord {
  /** Canonical: a bare address for one host, network/prefix otherwise. */
  readonly address: string;
  readonly cidr: ParsedCidr;
  // Only hits move in place: a change to anything else is a new record, which the blocklist stream (BlocklistFeed) relies on.
  readonly reason: string;
  readonly addedBy: string;
  readonly addedAt: number;
  readonly expiresAt: number | null;
  hits: number;
  /** IPv6 hosts: the address words, and the next host in the same hash bucket. */
  readonly words: AddressWords | null;
  nextInBucket: BlockRecord | null;
}

export function toBlockEntry(record: BlockRecord): BlockEntry {
  return { address: record.address, reason: record.reason, addedBy: record.addedBy, addedAt: record.addedAt, expiresAt: record.expiresAt, hits: record.hits };
}

/** The canonical spelling of a blocklist address, or undefined when it is not an IP or CIDR. */
export function canonicalBlockAddress(text: string): { address: string; cidr: ParsedCidr } | undefined {
  const cidr = parseCidr(text.trim());
  if (!cidr) return undefined;
  const host = cidr.prefix === (cidr.family === 4 ? 32 : 128);
  return { address: host ? formatIp({ family: cidr.family, value: cidr.network }) : cidr.text, cidr };
}

function v6Words(network: bigint): AddressWords {
  const words = newAddressWords();
  words[0] = Number((network >> 96n) & 0xffffffffn);
  words[1] = Number((network >> 64n) & 0xffffffffn);
  words[2] = Number((network >> 32n) & 0xffffffffn);
  words[3] = Number(network & 0xffffffffn);
  return words;
}

/** Buckets IPv6 hosts; exported for tests, which need collisions. */
export function v6Hash(words: AddressWords): number {
  return (Math.imul(words[0]! ^ (words[1]! >>> 11), 0x9e3779b1) ^ Math.imul(words[2]! ^ (words[3]! << 7), 0x85ebca6b) ^ words[3]!) | 0;
}

/**
 * Blocked addresses and networks. Single hosts (what bans add, many and
 * often) sit in hash maps and change in O(1); networks go into a trie per
 * family that is rebuilt when they change, which is rare. Expiry is not
 * checked here: the Firewall's one timer removes entries when they expire.
 */
export class Blocklist {
  private readonly records = new Map<string, BlockRecord>();
  private readonly hostsV4 = new Map<number, BlockRecord>();
  private readonly hostsV6 = new Map<number, BlockRecord>();
  private networkV4: Int32Array | null = null;
  private networkV6: Int32Array | null = null;
  private networkRecords: BlockRecord[] = [];
  private networksChanged = false;

  get size(): number {
    return this.records.size;
  }

  get(address: string): BlockRecord | undefined {
    return this.records.get(address);
  }

  values(): IterableIterator<BlockRecord> {
    return this.records.values();
  }

  /** Adds or replaces; call commit() after a batch. */
  set(record: BlockRecord): void {
    const previous = this.records.get(record.address);
    if (previous) this.delete(previous.address);
    this.records.set(record.address, record);
    if (record.cidr.family === 4 && record.cidr.prefix === 32) {
      this.hostsV4.set((record.cidr.network as number) | 0, record);
    } else if (record.words !== null) {
      const hash = v6Hash(record.words);
      record.nextInBucket = this.hostsV6.get(hash) ?? null;
      this.hostsV6.set(hash, record);
    } else {
      this.networksChanged = true;
    }
  }

  /** Removes; call commit() after a batch. */
  delete(address: string): BlockRecord | undefined {
    const record = this.records.get(address);
    if (!record) return undefined;
    this.records.delete(address);
    if (record.cidr.family === 4 && record.cidr.prefix === 32) {
      this.hostsV4.delete((record.cidr.network as number) | 0);
    } else if (record.words !== null) {
      const hash = v6Hash(record.words);
      let head = this.hostsV6.get(hash) ?? null;
      if (head === record) head = record.nextInBucket;
      else for (let at = head; at !== null; at = at.nextInBucket) if (at.nextInBucket === record) at.nextInBucket = record.nextInBucket;
      if (head === null) this.hostsV6.delete(hash);
      else this.hostsV6.set(hash, head);
      record.nextInBucket = null;
    } else {
      this.networksChanged = true;
    }
    return record;
  }

  clear(): void {
    this.records.clear();
    this.hostsV4.clear();
    this.hostsV6.clear();
    this.networksChanged = true;
  }

  /** Rebuilds the network tries if networks changed since the last commit. */
  commit(): void {
    if (!this.networksChanged) return;
    this.networksChanged = false;
    const networks = [...this.records.values()].filter((r) => r.cidr.prefix < (r.cidr.family === 4 ? 32 : 128)).sort((a, b) => a.cidr.prefix - b.cidr.prefix);
    this.networkRecords = networks;
    this.networkV4 = buildNetworkTrie(networks, 4);
    this.networkV6 = buildNetworkTrie(networks, 6);
  }

  /** The most specific entry covering the address, or null. The hot path: no allocation. */
  match(family: AddressFamily, address: AddressWords): BlockRecord | null {
    if (family === FAMILY_V4) {
      // Keys are signed 32-bit: small integers, never boxed.
      const key = address[0]! | 0;
      if (this.hostsV4.size !== 0) {
        const host = this.hostsV4.get(key);
        if (host !== undefined) return host;
      }
      if (this.networkV4 === null) return null;
      const index = lookupV4(this.networkV4, key);
      return index === 0 ? null : this.networkRecords[index - 1]!;
    }
    if (family === FAMILY_V6) {
      if (this.hostsV6.size !== 0) {
        for (let at = this.hostsV6.get(v6Hash(address)) ?? null; at !== null; at = at.nextInBucket) {
          const words = at.words!;
          if (words[0] === address[0] && words[1] === address[1] && words[2] === address[2] && words[3] === address[3]) return at;
        }
      }
      if (this.networkV6 === null) return null;
      const index = lookupV6(this.networkV6, address);
      return index === 0 ? null : this.networkRecords[index - 1]!;
    }
    return null;
  }
}

export function newBlockRecord(fields: { address: string; cidr: ParsedCidr; reason: string; addedBy: string; addedAt: number; expiresAt: number | null; hits?: number }): BlockRecord {
  const host = fields.cidr.family === 6 && fields.cidr.prefix === 128;
  return {
    address: fields.address,
    cidr: fields.cidr,
    reason: fields.reason,
    addedBy: fields.addedBy,
    addedAt: fields.addedAt,
    expiresAt: fields.expiresAt,
    hits: fields.hits ?? 0,
    words: host ? v6Words(fields.cidr.network as bigint) : null,
    nextInBucket: null,
  };
}

function buildNetworkTrie(networks: readonly BlockRecord[], family: 4 | 6): Int32Array | null {
  const indexes: number[] = [];
  networks.forEach((record, index) => record.cidr.family === family && indexes.push(index));
  if (indexes.length === 0) return null;
  // Sorted by prefix: a /0 comes first and becomes the root value; longer prefixes come later and
  // overwrite, so each slot ends with its most specific entry.
  const first = indexes[0]!;
  const builder = new TrieBuilder(family === 4 ? V4_LAYOUT : V6_LAYOUT, networks[first]!.cidr.prefix === 0 ? first + 1 : 0);
  const address = newAddressWords();
  let value = 0;
  const replace = () => value;
  for (const index of indexes) {
    const cidr = networks[index]!.cidr;
    if (cidr.prefix === 0) continue;
    if (family === 4) address[0] = cidr.network as number;
    else address.set(v6Words(cidr.network as bigint));
    value = index + 1;
    builder.update(address, cidr.prefix, replace);
  }
  return builder.build();
}
