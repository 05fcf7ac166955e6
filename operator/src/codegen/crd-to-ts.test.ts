import { readFileSync } from 'node:fs';
import { API_TYPES_TARGETS, renderApiTypesFromRepo } from './api-types.ts';
import { generateDeclarations, type SchemaNode } from './crd-to-ts.ts';

describe('generateDeclarations', () => {
  const schema: SchemaNode = {
    type: 'object',
    description: 'A thing.',
    required: ['spec'],
    properties: {
      spec: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', description: 'Its name.', maxLength: 10 },
          count: { type: 'integer', default: 3, minimum: 1, maximum: 9 },
          mode: { type: 'string', enum: ['a', 'b'] },
          tags: { type: 'object', additionalProperties: { type: 'string' } },
          items: { type: 'array', items: { type: 'object', properties: { x: { type: 'boolean' } } } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          qty: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        },
      },
    },
  };

  it('makes required and defaulted properties non-optional and the rest optional', () => {
    const out = generateDeclarations(schema, { rootName: 'Thing', names: { spec: 'ThingSpec' } });
    expect(out).toContain('spec: ThingSpec;');
    expect(out).toContain('name: string;');
    expect(out).toContain('count: number;');
    expect(out).toContain('mode?: "a" | "b";');
    expect(out).toContain('tags?: Record<string, string>;');
    expect(out).toContain('items?: SpecItems[];');
    expect(out).toContain('free?: Record<string, unknown>;');
    expect(out).toContain('qty?: number | string;');
  });

  it('carries descriptions, defaults and bounds into docstrings', () => {
    const out = generateDeclarations(schema, { rootName: 'Thing', names: {} });
    expect(out).toContain('/** A thing. */\nexport interface Thing {');
    expect(out).toMatch(/Its name\.\n\s+\* Length: 0\.\.10\./);
    expect(out).toContain('Default: `3`. Range: 1..9.');
  });

  it('emits named enums as a const array and a union type', () => {
    const out = generateDeclarations(schema, { rootName: 'Thing', names: { 'spec.mode': 'Mode' } });
    expect(out).toContain('export const MODES = ["a", "b"] as const;');
    expect(out).toContain('export type Mode = (typeof MODES)[number];');
    expect(out).toContain('mode?: Mode;');
  });

  it('emits a shared name once for identical schemas and rejects it for different ones', () => {
    const twin: SchemaNode = {
      type: 'object',
      properties: {
        a: { type: 'object', properties: { id: { type: 'integer' } } },
        b: { type: 'object', properties: { id: { type: 'integer' } } },
        c: { type: 'object', properties: { id: { type: 'string' } } },
      },
    };
    const ok = generateDeclarations(twin, { rootName: 'T', names: { a: 'Ref', b: 'Ref' } });
    expect(ok.match(/export interface Ref /g)).toHaveLength(1);
    expect(() => generateDeclarations(twin, { rootName: 'T', names: { a: 'Ref', c: 'Ref' } })).toThrow(
      /type name Ref is used for two different schemas \(second at c\)/,
    );
  });

  it('rejects schema constructs it does not know instead of guessing', () => {
    expect(() =>
      generateDeclarations(
        { type: 'object', properties: { x: { type: 'null' } } },
        { rootName: 'T', names: {} },
      ),
    ).toThrow(/schema at x has unsupported type null/);
  });
});

describe.each(API_TYPES_TARGETS.map((t) => ({ ...t, file: t.typesPath.replace(/.*\/api\//, 'api/') })))(
  '$file',
  (target) => {
    it('is what the generator makes of its CRD (run generate-api-types.ts when this fails)', async () => {
      const generated = await renderApiTypesFromRepo(target);
      const current = readFileSync(target.typesPath, 'utf8');
      expect(current).toBe(generated);
    });
  },
);
