import { isMap, isScalar, isSeq, parseDocument, type Document, type Node, type ToStringOptions, type YAMLMap, type YAMLSeq } from 'yaml';
import type { z } from 'zod';
import { entryPointConfig, middlewareConfig, routerConfig, serviceConfig } from '../../../../shared/contract/gateway-config.ts';
import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';
import { diffLines, OP_DELETE, OP_EQUAL, OP_INSERT } from './line-diff.ts';
import { ITEM_LISTS, type GatewayItemKind } from './load.ts';
import { formatFieldPath, yamlErrorMessage, yamlProblems } from '../../config/index.ts';
import { flattenIssues } from './yaml-location.ts';

export type GatewayConfigEdit =
  | { op: 'upsert'; kind: GatewayItemKind; item: Record<string, unknown> & { name: string } }
  | { op: 'remove'; kind: GatewayItemKind; name: string }
  | { op: 'drain'; service: string; url: string; drain: boolean }
  | { op: 'enableRouter'; name: string; enabled: boolean };

const ITEM_SCHEMAS: Record<GatewayItemKind, z.ZodType> = {
  entryPoint: entryPointConfig,
  router: routerConfig,
  middleware: middlewareConfig,
  service: serviceConfig,
};

/**
 * Applies one edit to the file's text and returns the new text, keeping
 * comments, blank lines and formatting everywhere the edit does not reach.
 * An upsert replaces the item of that name field by field, so comments on
 * its unchanged fields stay, or appends it to its list (creating `gateway:`
 * and the list when missing). The item is written as given, without the
 * defaults the schema would fill in, and must pass its schema. A remove of
 * a missing item is NETOPS_NOT_FOUND.
 *
 * How formatting survives: yaml's Document API edits the tree but prints the
 * whole file its own way (spacing before comments, `key:   value`). So the
 * unedited tree is printed too, and only the lines where the two printings
 * differ are carried into the original text; a printing difference the edit
 * touches is taken from the edited printing.
 */
export function editGatewayConfigText(text: string, edit: GatewayConfigEdit): string {
  const crlf = text.includes('\r\n');
  const source = crlf ? text.replaceAll('\r\n', '\n') : text;
  const doc = parseDocument(source, { uniqueKeys: true });
  const [problem] = yamlProblems(doc);
  if (problem) {
    throw new NetopsError(ErrorCodes.configInvalid, `the file does not parse as YAML: ${yamlErrorMessage(problem)}`);
  }
  if (edit.op === 'upsert') {
    checkItem(edit.kind, edit.item);
    upsert(doc, ITEM_LISTS[edit.kind], edit.item);
  } else if (edit.op === 'remove') {
    remove(doc, ITEM_LISTS[edit.kind], edit.name);
  } else if (edit.op === 'drain') {
    setDrain(doc, edit.service, edit.url, edit.drain);
  } else {
    setRouterEnabled(doc, edit.name, edit.enabled);
  }
  const { options, base } = closestPrinting(source);
  const edited = doc.toString(options);
  const merged = base === source ? edited : carryChanges(source, base, edited);
  // Splicing printed lines into the original could, in a file yaml cannot reproduce, land at the wrong indent: check, and print the whole file if so.
  const safe = merged === edited || sameContent(merged, doc) ? merged : edited;
  return crlf ? safe.replaceAll('\n', '\r\n') : safe;
}

function sameContent(text: string, doc: Document): boolean {
  const reparsed = parseDocument(text, { uniqueKeys: true });
  return reparsed.errors.length === 0 && JSON.stringify(reparsed.toJS()) === JSON.stringify(doc.toJS());
}

function checkItem(kind: GatewayItemKind, item: unknown): void {
  const parsed = ITEM_SCHEMAS[kind].safeParse(item);
  if (parsed.success) return;
  const problems = flattenIssues(parsed.error.issues).map((issue) => `${formatFieldPath(issue.path) || kind}: ${issue.message}`);
  throw new NetopsError(ErrorCodes.invalidArgument, `invalid ${kind}: ${problems.join('; ')}`);
}

function upsert(doc: Document, list: string, item: Record<string, unknown> & { name: string }): void {
  const seq = listNode(doc, list, true)!;
  const index = indexOfName(seq, item.name);
  if (index < 0) {
    seq.add(doc.createNode(item));
    return;
  }
  seq.items[index] = merge(doc, seq.items[index] as Node, item);
}

function remove(doc: Document, list: string, name: string): void {
  const { seq, index } = findItem(doc, list, name, 'item');
  seq.items.splice(index, 1);
}

/** The item of that name in gateway.<list> and where it is, or NETOPS_NOT_FOUND naming it as a `what`. */
function findItem(doc: Document, list: string, name: string, what: string): { seq: YAMLSeq; index: number; item: YAMLMap } {
  const seq = listNode(doc, list, false);
  const index = seq ? indexOfName(seq, name) : -1;
  if (!seq || index < 0) throw new NetopsError(ErrorCodes.notFound, `no ${what} named "${name}" in gateway.${list}`);
  return { seq, index, item: seq.items[index] as YAMLMap };
}

/** Sets an instance's `drain: true`, or takes the key out (false is its default), touching nothing else. */
function setDrain(doc: Document, service: string, url: string, drain: boolean): void {
  const instances = findItem(doc, ITEM_LISTS.service, service, 'service').item.get('instances', true) as Node | undefined;
  const instance = isSeq(instances) ? instances.items.find((item) => isMap(item) && item.get('url') === url) : undefined;
  if (!isMap(instance)) throw new NetopsError(ErrorCodes.notFound, `service "${service}" has no instance ${url}`);
  if (drain) instance.set('drain', true);
  else instance.delete('drain');
}

/** Sets a router's `enabled: false`, or takes the key out (true is its default), touching nothing else. */
function setRouterEnabled(doc: Document, name: string, enabled: boolean): void {
  const router = findItem(doc, ITEM_LISTS.router, name, 'router').item;
  if (enabled) router.delete('enabled');
  else router.set('enabled', false);
}

/** The list under gateway:, created (with gateway:) when asked to. */
function listNode(doc: Document, list: string, create: boolean): YAMLSeq | undefined {
  let gateway = doc.get('gateway', true) as Node | undefined;
  if (!isMap(gateway)) {
    if (!create) return undefined;
    doc.set('gateway', doc.createNode({}));
    gateway = doc.get('gateway', true) as Node;
  }
  const map = gateway as YAMLMap;
  let seq = map.get(list, true) as Node | undefined;
  if (!isSeq(seq)) {
    if (!create) return undefined;
    map.set(list, doc.createNode([]));
    seq = map.get(list, true) as Node;
  }
  const found = seq as YAMLSeq;
  // `routers: []` grows into a block list, the way the rest of the file is written.
  if (create && found.flow && found.items.length === 0) found.flow = false;
  return found;
}

function indexOfName(seq: YAMLSeq, name: string): number {
  return seq.items.findIndex((item) => isMap(item) && item.get('name') === name);
}

/**
 * The node for `value`, reusing `node` where it can so that comments and
 * scalar styles on what did not change survive.
 */
function merge(doc: Document, node: Node, value: unknown): Node {
  if (isScalar(node) && (value === null || typeof value !== 'object')) {
    if (node.value === value) return node;
    // A quoted "8080" turned into the number 8080 must lose its quotes.
    if (typeof node.value !== typeof value) return replaceKeepingComments(doc, node, value);
    node.value = value;
    return node;
  }
  if (isMap(node) && isPlainObject(value)) {
    const record = value as Record<string, unknown>;
    for (const pair of [...node.items]) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key !== 'string' || !(key in record)) node.delete(pair.key);
    }
    for (const [key, child] of Object.entries(record)) {
      const existing = node.get(key, true) as Node | undefined;
      if (existing === undefined || existing === null) node.set(key, doc.createNode(child));
      else {
        const merged = merge(doc, existing, child);
        if (merged !== existing) node.set(key, merged);
      }
    }
    return node;
  }
  if (isSeq(node) && Array.isArray(value)) {
    node.items.splice(value.length);
    value.forEach((child, i) => {
      const existing = node.items[i] as Node | undefined;
      node.items[i] = existing === undefined || existing === null ? doc.createNode(child) : merge(doc, existing, child);
    });
    return node;
  }
  return replaceKeepingComments(doc, node, value);
}

function replaceKeepingComments(doc: Document, node: Node, value: unknown): Node {
  const created = doc.createNode(value);
  created.commentBefore = node.commentBefore;
  created.comment = node.comment;
  created.spaceBefore = node.spaceBefore;
  return created;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * yaml's printing of the unedited file under the indentation options that
 * reproduce the most of its lines: the step of the first nested key and the
 * common 2 and 4, each with list dashes indented or under their key.
 */
function closestPrinting(source: string): { options: ToStringOptions; base: string } {
  const doc = parseDocument(source, { uniqueKeys: true });
  const nested = /^[^\s#-][^\n]*:[ \t]*(?:#[^\n]*)?\n(?:[ \t]*\n)*( +)/m.exec(source);
  const detected = nested ? Math.min(nested[1]!.length, 8) : 2;
  const sourceLines = source.split('\n');
  let best: { options: ToStringOptions; base: string } | undefined;
  let bestScore = -1;
  for (const indent of new Set([detected, 2, 4])) {
    for (const indentSeq of [true, false]) {
      const options: ToStringOptions = { indent, indentSeq, lineWidth: 0 };
      const base = doc.toString(options);
      if (base === source) return { options, base };
      const printed = base.split('\n');
      let score = 0;
      for (let i = 0; i < printed.length && i < sourceLines.length; i++) if (printed[i] === sourceLines[i]) score++;
      if (score > bestScore) {
        bestScore = score;
        best = { options, base };
      }
    }
  }
  return best!;
}

/**
 * The original text with the edit applied: `base` is the original as yaml
 * prints it, `edited` the edited tree as yaml prints it. Lines the printing
 * left alone map back to the original; regions where the printing differs
 * from the original keep the original unless the edit touches them.
 */
function carryChanges(originalText: string, baseText: string, editedText: string): string {
  const original = originalText.split('\n');
  const base = baseText.split('\n');
  const edited = editedText.split('\n');

  const edit = diffLines(base, edited);
  const kept = new Uint8Array(base.length);
  const insertsBefore: number[][] = Array.from({ length: base.length + 1 }, () => []);
  for (let i = 0; i < edit.ops.length; i++) {
    const op = edit.ops[i]!;
    if (op === OP_EQUAL) kept[edit.fromLines[i]!] = 1;
    else if (op === OP_INSERT) insertsBefore[edit.fromLines[i]!]!.push(edit.toLines[i]!);
  }

  const out: string[] = [];
  const emitInserts = (at: number): void => {
    for (const line of insertsBefore[at]!) out.push(edited[line]!);
  };
  const align = diffLines(base, original);
  let i = 0;
  while (i < align.ops.length) {
    if (align.ops[i] === OP_EQUAL) {
      const b = align.fromLines[i]!;
      emitInserts(b);
      if (kept[b]) out.push(original[align.toLines[i]!]!);
      i++;
      continue;
    }
    // A region where the printing and the original differ: base lines [b1, b2), original lines o.
    const b1 = align.fromLines[i]!;
    let b2 = b1;
    const originalLines: number[] = [];
    while (i < align.ops.length && align.ops[i] !== OP_EQUAL) {
      if (align.ops[i] === OP_DELETE) b2 = align.fromLines[i]! + 1;
      else originalLines.push(align.toLines[i]!);
      i++;
    }
    emitInserts(b1);
    if (originalLines.length === b2 - b1) {
      // Printed line for line (spacing, quotes): each original line follows the fate of its printed twin.
      for (let b = b1; b < b2; b++) {
        if (b > b1) emitInserts(b);
        if (kept[b]) out.push(original[originalLines[b - b1]!]!);
      }
      continue;
    }
    let touched = false;
    for (let b = b1; b < b2; b++) if (!kept[b] || (b > b1 && insertsBefore[b]!.length > 0)) touched = true;
    if (!touched) {
      for (const line of originalLines) out.push(original[line]!);
      continue;
    }
    for (let b = b1; b < b2; b++) {
      if (b > b1) emitInserts(b);
      if (kept[b]) out.push(base[b]!);
    }
  }
  emitInserts(base.length);
  return out.join('\n');
}
