/**
 * Turns a CustomResourceDefinition's structural OpenAPI v3 schema into TypeScript declarations
 * (interfaces, string-literal unions, docstrings from `description`, bounds and defaults).
 *
 * The CRD is the single source of truth of the API (kubebuilder generates the CRD from Go types;
 * we go the other way because the CRD, with its CEL rules, is what the API server enforces).
 *
 * Naming: every object schema becomes an interface named by `names[path]` or, when absent, by
 * the PascalCase of its path. Paths are dotted property names from the root (`spec.checkpoint`);
 * an array's items add `[]` (`status.conditions[]`), a map's values add `{}`.
 *
 * Optionality describes an object as read from the API server: a property is required when the
 * schema lists it in `required` or gives it a `default` (the API server applies defaults on
 * create and on read), optional otherwise.
 */

/** The subset of JSONSchemaProps (apiextensions.k8s.io/v1) that structural schemas use. */
export interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  enum?: unknown[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  anyOf?: SchemaNode[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
}

/** How to name and override the generated types. */
export interface GenerateOptions {
  /** Name of the root interface, e.g. `StreamJob`. */
  rootName: string;
  /** Type name per schema path (objects and enums); see the module comment for path syntax. */
  names: Record<string, string>;
  /** A fixed TypeScript type per path instead of a generated one, e.g. `{ metadata: 'V1ObjectMeta' }`. */
  overrides?: Record<string, string>;
}

interface Emitted {
  name: string;
  /** Canonical text of the declaration without its docstring; used to detect name clashes. */
  body: string;
  doc: string[];
}

function pascal(path: string): string {
  return path
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p !== '')
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');
}

/** English plural of an UPPER_SNAKE name: POLICY → POLICIES, STATUS → STATUSES, MODE → MODES. */
function plural(name: string): string {
  if (/[^AEIOU]Y$/.test(name)) return `${name.slice(0, -1)}IES`;
  if (/(S|X|CH|SH)$/.test(name)) return `${name}ES`;
  return `${name}S`;
}

function quoteKey(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key);
}

/** Constraint notes appended to a docstring, e.g. "Default: `60`. Range: 1..86400." */
function constraintNotes(node: SchemaNode): string[] {
  const notes: string[] = [];
  if (node.default !== undefined) notes.push(`Default: \`${JSON.stringify(node.default)}\`.`);
  if (node.minimum !== undefined || node.maximum !== undefined) {
    notes.push(`Range: ${node.minimum ?? '-∞'}..${node.maximum ?? '∞'}.`);
  }
  if (node.minLength !== undefined || node.maxLength !== undefined) {
    notes.push(`Length: ${node.minLength ?? 0}..${node.maxLength ?? '∞'}.`);
  }
  if (node.maxItems !== undefined) notes.push(`At most ${node.maxItems} items.`);
  if (node.maxProperties !== undefined) notes.push(`At most ${node.maxProperties} entries.`);
  if (node.pattern !== undefined) notes.push(`Pattern: \`${node.pattern}\`.`);
  if (node.format === 'date-time') notes.push('RFC 3339 timestamp.');
  if (node['x-kubernetes-list-map-keys']) {
    notes.push(`Unique by ${node['x-kubernetes-list-map-keys'].join(', ')}.`);
  }
  return notes;
}

function docLines(node: SchemaNode): string[] {
  const lines: string[] = [];
  if (node.description) lines.push(...node.description.trim().split('\n'));
  const notes = constraintNotes(node);
  if (notes.length > 0) lines.push(notes.join(' '));
  return lines;
}

function renderDoc(lines: string[], indent: string): string {
  if (lines.length === 0) return '';
  const safe = lines.map((l) => l.replace(/\*\//g, '*\\/'));
  if (safe.length === 1) return `${indent}/** ${safe[0]} */\n`;
  return `${indent}/**\n${safe.map((l) => `${indent} * ${l}`).join('\n')}\n${indent} */\n`;
}

/**
 * Generates the declarations for `schema` (the CRD version's `openAPIV3Schema`).
 * @returns TypeScript source text (unformatted; run prettier over it) of the declarations only.
 * @throws Error naming the path when two different schemas are given the same type name, or a
 *   schema uses a construct the generator does not know (so drift cannot pass silently).
 */
export function generateDeclarations(schema: SchemaNode, options: GenerateOptions): string {
  const emitted = new Map<string, Emitted>();
  const texts = new Map<string, string>();
  const order: string[] = [];

  /** Records a declaration; the same name may be emitted again only for an identical schema. */
  const emit = (path: string, e: Emitted, text: string): void => {
    const prior = emitted.get(e.name);
    if (prior) {
      if (prior.body !== e.body) {
        throw new Error(
          `type name ${e.name} is used for two different schemas (second at ${path || '<root>'})`,
        );
      }
      return;
    }
    emitted.set(e.name, e);
    texts.set(e.name, text);
  };

  const typeOf = (node: SchemaNode, path: string): string => {
    const override = options.overrides?.[path];
    if (override) return override;
    if (node['x-kubernetes-int-or-string']) return 'number | string';
    if (node.enum) {
      const union = node.enum.map((v) => JSON.stringify(v)).join(' | ');
      const name = options.names[path];
      if (!name) return union;
      const values = `[${node.enum.map((v) => JSON.stringify(v)).join(', ')}]`;
      if (!order.includes(name)) order.push(name);
      emit(path, { name, body: `enum ${values}`, doc: docLines(node) }, values);
      return name;
    }
    switch (node.type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array':
        if (!node.items) throw new Error(`array schema at ${path} has no items`);
        return `${wrap(typeOf(node.items, `${path}[]`))}[]`;
      case 'object': {
        if (node.properties) return objectType(node, path);
        if (node.additionalProperties && typeof node.additionalProperties === 'object') {
          return `Record<string, ${typeOf(node.additionalProperties, `${path}{}`)}>`;
        }
        return 'Record<string, unknown>';
      }
      default:
        throw new Error(`schema at ${path || '<root>'} has unsupported type ${String(node.type)}`);
    }
  };

  const wrap = (t: string): string => (/[|&]/.test(t) ? `(${t})` : t);

  const objectType = (node: SchemaNode, path: string): string => {
    const name = path === '' ? options.rootName : (options.names[path] ?? pascal(path));
    // Reserve the slot before the children so declarations read top-down (parents first).
    if (!order.includes(name)) order.push(name);
    const required = new Set(node.required ?? []);
    const fields = Object.entries(node.properties ?? {}).map(([key, child]) => {
      const childPath = path === '' ? key : `${path}.${key}`;
      const t = typeOf(child, childPath);
      const optional = !required.has(key) && child.default === undefined;
      return { key, t, optional, doc: docLines(child) };
    });
    const body = fields.map((f) => `${quoteKey(f.key)}${f.optional ? '?' : ''}: ${f.t};`).join('\n');
    const text = fields
      .map((f) => `${renderDoc(f.doc, '  ')}  ${quoteKey(f.key)}${f.optional ? '?' : ''}: ${f.t};`)
      .join('\n');
    emit(path, { name, body: `interface {${body}}`, doc: docLines(node) }, text);
    return name;
  };

  typeOf({ ...schema, type: schema.type ?? 'object' }, '');

  return order
    .map((name) => {
      const e = emitted.get(name)!;
      const doc = renderDoc(e.doc, '');
      if (e.body.startsWith('enum ')) {
        const values = texts.get(name)!;
        const constName = plural(name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase());
        return `/** Every value of {@link ${name}}. */\nexport const ${constName} = ${values} as const;\n${doc}export type ${name} = (typeof ${constName})[number];\n`;
      }
      return `${doc}export interface ${name} {\n${texts.get(name)}\n}\n`;
    })
    .join('\n');
}
