import type { z } from 'zod';

/**
 * How the RPC layer may merge a stream's frames when the peer is slow or
 * frames come faster than the wire rate (10 a second):
 * - `latest`: each frame is a whole state; only the newest is kept.
 * - `table`: frames are TableFrame<{id}> snapshots or deltas keyed by id;
 *   pending deltas are merged per id.
 */
export type CoalesceMode = 'latest' | 'table';

export interface RequestDef<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly kind: 'request';
  readonly params: P;
  readonly result: R;
}

export interface StreamDef<P extends z.ZodType = z.ZodType, E extends z.ZodType = z.ZodType> {
  readonly kind: 'stream';
  readonly params: P;
  readonly event: E;
  readonly coalesce: CoalesceMode;
}

export type MemberDef = RequestDef | StreamDef;
export type ServiceDef = Record<string, MemberDef>;
export type ContractDef = Record<string, ServiceDef>;

export function request<P extends z.ZodType, R extends z.ZodType>(def: { params: P; result: R }): RequestDef<P, R> {
  return { kind: 'request', ...def };
}

export function stream<P extends z.ZodType, E extends z.ZodType>(def: {
  params: P;
  event: E;
  coalesce: CoalesceMode;
}): StreamDef<P, E> {
  return { kind: 'stream', ...def };
}

/** Lets TypeScript keep the literal shape of a contract. */
export function defineContract<C extends ContractDef>(contract: C): C {
  return contract;
}
