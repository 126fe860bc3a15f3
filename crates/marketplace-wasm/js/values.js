// `CompiledSpec`, whose `validate` hands the values to the WebAssembly module without JSON
// text: they are encoded here into two buffers of the module's memory, kept per compiled spec
// (every string as UTF-8, one after the other; the structure as a tape of numbers), that the
// module reads in place (the `marketplace-tape` crate says the format). A member named by one of the spec's variable keys is written as the
// variable's index (in `variableKeys()`), not copied. `JSON.stringify` and parsing the text
// again cost about twice the validation itself.
//
// Looking a member's name up among the keys costs more than the rest of its encoding, so the
// names met at each position of the last values encoded are remembered with their index:
// values validated again mostly come with the same names in the same order, and comparing a
// name with the one remembered is comparing two of the engine's property-name strings, which
// costs a fifth of the lookup.
//
// Whatever the encoding does not hold exactly as JSON would (a `toJSON`, a class instance,
// `undefined`, a number that is not finite, nesting deeper than MAX_DEPTH) goes through JSON,
// as does anything the module cannot read back: the answer is always the JSON path's.
import { CompiledSpec as Compiled, moduleMemory } from './marketplace_wasm.js';

const NULL = 0;
const FALSE = 1;
const TRUE = 2;
const NUMBER = 3;
const STRING = 4;
const ARRAY = 5;
const OBJECT = 6;

/** The deepest nesting encoded (the module reads up to 100). */
const MAX_DEPTH = 64;

const encoder = new TextEncoder();
let tape = new Float64Array(1024);
let length = 0;
let text = '';
/**
 * The spec's variable keys for `encodeValues`: `index`, a `Map` of each one to its index;
 * `names` and `indexes`, the member names met at each position of the last values encoded
 * (up to `remembered` of them) and their index.
 */
export function variableIndex(variableKeys) {
  const index = new Map(variableKeys.map((key, i) => [key, i]));
  return { index, names: [], indexes: [], remembered: 2 * variableKeys.length + 16 };
}

/** No key by index. */
const NO_KEYS = variableIndex([]);
/** The spec's variable keys, for the call under way. */
let keys = NO_KEYS;
/** The position of the next member among those of the call under way. */
let position = 0;

/** The index of the variable whose key is `name`, met at position `at`, or undefined. */
function lookUp(name, at) {
  const index = keys.index.get(name);
  if (at < keys.remembered) {
    keys.names[at] = name;
    keys.indexes[at] = index;
  }
  return index;
}

/** Makes room for `n` more numbers on the tape. */
function reserve(n) {
  if (length + n > tape.length) {
    const grown = new Float64Array(Math.max(tape.length * 2, length + n));
    grown.set(tape);
    tape = grown;
  }
}

/** Whether an object is plain (`{...}` or `Object.create(null)`), without a `toJSON`. */
function isPlain(object) {
  const proto = Object.getPrototypeOf(object);
  return (proto === Object.prototype || proto === null) && typeof object.toJSON !== 'function';
}

/**
 * Encodes one value, room for two numbers reserved by the caller; false for a value the
 * encoding does not hold as JSON would.
 */
function encode(value, depth) {
  switch (typeof value) {
    case 'string':
      tape[length++] = STRING;
      tape[length++] = value.length;
      text += value;
      return true;
    case 'number':
      if (!Number.isFinite(value)) return false;
      tape[length++] = NUMBER;
      tape[length++] = value;
      return true;
    case 'boolean':
      tape[length++] = value ? TRUE : FALSE;
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) {
    tape[length++] = NULL;
    return true;
  }
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return false;
    tape[length++] = ARRAY;
    tape[length++] = value.length;
    for (let i = 0; i < value.length; i++) {
      reserve(2);
      if (!encode(value[i], depth + 1)) return false;
    }
    return true;
  }
  if (!isPlain(value)) return false;
  tape[length++] = OBJECT;
  const count = length++;
  let members = 0;
  // `for...in` lists the own enumerable names in `Object.keys` order, and reads each value
  // through the engine's cache of them (ten times faster than `Object.keys` and `value[key]`);
  // it would also list names inherited from `Object.prototype`, which `encodeValues` checks
  // has none. The encoder's state is kept in locals through the loop (a module variable
  // costs a load and a store at each use), written back around a nested call.
  let t = tape, n = length, s = text;
  const { names, indexes } = keys;
  for (const key in value) {
    if (n + 3 > t.length) {
      length = n;
      reserve(3);
      t = tape;
    }
    // The name met at this position last time, or a lookup.
    const at = position++;
    const index = names[at] === key ? indexes[at] : lookUp(key, at);
    if (index === undefined) {
      t[n++] = key.length;
      s += key;
    } else {
      t[n++] = -1 - index;
    }
    const member = value[key];
    // A string inline (most values are): the call to `encode` costs more than the rest.
    if (typeof member === 'string') {
      t[n++] = STRING;
      t[n++] = member.length;
      s += member;
    } else {
      length = n;
      text = s;
      if (!encode(member, depth + 1)) return false;
      t = tape;
      n = length;
      s = text;
    }
    members++;
  }
  length = n;
  text = s;
  tape[count] = members;
  return true;
}

/** Whether `Object.prototype` has an enumerable property (someone's addition). */
function prototypeEnumerates() {
  for (const _ in {}) return true;
  return false;
}

/**
 * The values as `[text, tape]` (the strings, one after the other; a view of a buffer reused by
 * the next call), or null when they must go through JSON; a member name found in
 * `variableKeys` (what `variableIndex` makes of the spec's `variableKeys()`) written as its
 * index. Values that are not an object are encoded too: the module answers for them as for
 * their JSON (`type` at the root).
 */
export function encodeValues(values, variableKeys = NO_KEYS) {
  keys = variableKeys;
  position = 0;
  length = 0;
  text = '';
  reserve(2);
  const encoded = !prototypeEnumerates() && encode(values, 0);
  const strings = text;
  text = '';
  return encoded ? [strings, tape.subarray(0, length)] : null;
}

/** The module's memory, once a `CompiledSpec` has used it. */
let memory = null;

/** A spec compiled once to validate many configs against it (see the module's declarations). */
export class CompiledSpec extends Compiled {
  /** The index of each variable key of the spec, for `encodeValues`. */
  #keys;
  /** Views of the module's encoding buffers for this spec, made again when they are stale. */
  #text = new Uint8Array(0);
  #tape = new Float64Array(0);

  /** Compiles a spec; throws `invalid_spec` with every problem. */
  constructor(spec) {
    super(spec);
    this.#keys = variableIndex(this.variableKeys());
  }

  /** What `validateConfig(spec, values, editor)` answers, without compiling the spec again. */
  validate(values, editor) {
    const encoded = encodeValues(values, this.#keys);
    if (encoded !== null) {
      // The problems found, null for none, undefined when the module cannot read the encoding.
      const errors = this.validateEncoded(encoded[0], encoded[1], editor);
      if (errors !== undefined) return { valid: errors === null, errors: errors ?? [] };
    }
    return super.validate(values, editor);
  }

  /**
   * The module's `validateEncoded` of `encodeValues`' text and tape, written straight into the
   * module's encoding buffers: the problems, null for none, undefined when it cannot read them.
   */
  validateEncoded(strings, tape, editor) {
    const room = strings.length * 3; // UTF-8 bytes at most, for as many UTF-16 units
    // Views too short, or of the memory before it grew (they read as empty then, and a tape
    // holds a number at least).
    if (this.#text.length < room || this.#tape.length < tape.length) {
      memory ??= moduleMemory();
      const textRoom = Math.max(room, this.#text.length);
      const tapeRoom = Math.max(tape.length, this.#tape.length);
      const [textAt, tapeAt] = super.encodingBuffers(textRoom, tapeRoom);
      this.#text = new Uint8Array(memory.buffer, textAt, textRoom);
      this.#tape = new Float64Array(memory.buffer, tapeAt, tapeRoom);
    }
    const { written } = encoder.encodeInto(strings, this.#text);
    this.#tape.set(tape);
    return super.validateEncoded(written, tape.length, editor);
  }
}
