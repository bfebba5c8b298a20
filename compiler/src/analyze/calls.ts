import { basename } from "node:path";
import type { Input, Type as IrType, Step, TableSchemaType } from "@canal/ir";
import { type CallExpression, Node } from "ts-morph";
import {
  accepts,
  acceptsValue,
  describeType,
  type TableMismatch,
  tableMismatch,
  tableSchemaOf,
} from "./compat.js";
import type { StepReference } from "./find.js";
import { locationOf, type Reporter, relativePath } from "./report.js";
import type { Frame } from "./scope.js";
import type { StepCatalog, StepInfo } from "./steps.js";
import { schemaOrigin } from "./table-schema.js";
import { bindingOf, type Value } from "./values.js";

/** One call of a step in the pipeline body: one IR step. */
export interface StepCall {
  id: string;
  info: StepInfo;
  /** The IR step, without `after` (resolved once all calls are known) and content hashes. */
  step: Step;
  node: CallExpression;
}

function calleeName(call: CallExpression): Node {
  const callee = call.getExpression();
  return Node.isPropertyAccessExpression(callee) ? callee.getNameNode() : callee;
}

function isUndefined(node: Node): boolean {
  return Node.isIdentifier(node) && node.getText() === "undefined";
}

/** Turns step calls into IR steps: ids, input bindings and their type check. */
export class StepCalls {
  readonly calls: StepCall[] = [];
  private readonly callsByKey = new Map<string, number>();
  private readonly usedIds = new Set<string>();
  private readonly owners = new Map<string, StepInfo>();

  constructor(
    private readonly reporter: Reporter,
    private readonly catalog: StepCatalog,
    private readonly pipelineName: string,
    private readonly evaluate: (node: Node, frame: Frame) => Value | undefined,
  ) {}

  call(call: CallExpression, reference: StepReference, frame: Frame): Value {
    const info = this.catalog.get(reference);
    const { definition } = info;
    this.checkName(info, call);
    const id = this.nextId(definition.name, definition.key);
    const step: Step = {
      id,
      name: definition.name,
      kind: definition.kind,
      inputs: this.bindInputs(call, info, frame),
      // Each step gets its own objects: later stages fill steps in place.
      outputs: info.outputs.map((o) => ({ ...o })),
      environment: info.environment.id,
      location: locationOf(call, this.reporter.projectRoot),
      codeHash: "",
      hash: "",
    };
    if (definition.kind === "TYPESCRIPT") {
      step.code = { bundle: "", exportName: definition.exportName };
      if (definition.member) step.code.member = definition.member;
    } else {
      step.script = {
        snapshot: "",
        command: definition.command ?? "",
        source: definition.sourceAsWritten ?? "",
      };
    }
    const { options } = info;
    if (options.resources) step.resources = { ...options.resources };
    if (options.retry) step.retry = { ...options.retry };
    if (options.timeoutMs !== undefined) step.timeoutMs = options.timeoutMs;
    if (options.noReuse) step.cache = { noReuse: true };
    if (options.compute) step.compute = options.compute;
    if (options.passEnv) step.passEnv = options.passEnv;
    if (options.description) step.description = options.description;
    if (frame.fanOut) step.fanOut = frame.fanOut.id;
    if (frame.conditions.length > 0) step.conditions = frame.conditions.map((c) => ({ ...c }));
    this.calls.push({ id, info, step, node: call });
    return { kind: "result", step: id, outputs: info.outputs, fanOut: frame.fanOut?.id };
  }

  /** Two different definitions under one name would make step ids and `after` ambiguous. */
  private checkName(info: StepInfo, call: CallExpression): void {
    const name = info.definition.name;
    const owner = this.owners.get(name);
    if (!owner) {
      this.owners.set(name, info);
      return;
    }
    if (owner.definition.key === info.definition.key) return;
    this.reporter.error(
      "CANAL1007",
      calleeName(call),
      `pipeline \`${this.pipelineName}\` uses two different steps named \`${name}\`: ${describeDefinition(owner)} and ${describeDefinition(info)}`,
      `give one of them its own name with the \`name\` option, e.g. @step({ name: "${name}-2" }) or step.fn({ name: "${name}-2" }, ...)`,
    );
  }

  /** The step's name for its first call, then name-2, name-3, ... in the order of the body. */
  private nextId(name: string, key: string): string {
    let count = this.callsByKey.get(key) ?? 0;
    let id: string;
    do {
      count += 1;
      id = count === 1 ? name : `${name}-${count}`;
    } while (this.usedIds.has(id));
    this.callsByKey.set(key, count);
    this.usedIds.add(id);
    return id;
  }

  private bindInputs(call: CallExpression, info: StepInfo, frame: Frame): Input[] {
    const name = info.definition.name;
    const args = call.getArguments();
    const spread = args.find((a) => Node.isSpreadElement(a));
    if (spread) {
      this.reporter.error(
        "CANAL1002",
        spread,
        `spread arguments (\`${spread.getText()}\`) cannot appear in pipeline \`${this.pipelineName}\`: the compiler binds each input to one value`,
        "pass each input as its own argument",
      );
      return [];
    }
    const inputs: Input[] = [];
    info.inputs.forEach((input, index) => {
      const argument = args[index];
      if (!argument || isUndefined(argument)) {
        if (input.optional) return;
        const expected = input.type ? ` (${describeType(input.type)})` : "";
        this.reporter.error(
          "CANAL1004",
          calleeName(call),
          `step \`${name}\` input \`${input.name}\`${expected} gets no argument in pipeline \`${this.pipelineName}\``,
          `pass a value for \`${input.name}\`, or make the input optional (\`${input.name}?:\`) in the step's signature`,
        );
        return;
      }
      const before = this.reporter.count;
      const value = this.evaluate(argument, frame);
      if (!value) {
        // Every unbound input must come with a reason, or the step would silently lack it.
        if (this.reporter.count === before) {
          this.reporter.error(
            "CANAL1002",
            argument,
            `step \`${name}\` input \`${input.name}\` cannot take \`${argument.getText()}\`, which has no value in pipeline \`${this.pipelineName}\``,
            "pass a parameter, a literal, or one step output",
          );
        }
        return;
      }
      const bound = bindingOf(value);
      if (typeof bound === "string") {
        const code = value.kind === "result" && value.outputs.length > 0 ? "CANAL1003" : "CANAL1002";
        this.reporter.error(
          code,
          argument,
          `step \`${name}\` input \`${input.name}\` cannot take \`${argument.getText()}\`: ${bound}`,
          "pass a parameter, a literal, or one step output",
        );
        return;
      }
      if (!input.type) return;
      if (value.kind !== "literal" && bound.type) {
        const [want, have] = [tableSchemaOf(input.type), tableSchemaOf(bound.type)];
        const mismatch = want && have ? tableMismatch(want, have) : undefined;
        if (want && have && mismatch && accepts(withoutTables(input.type), withoutTables(bound.type))) {
          const { message, hint } = this.tableMessage(name, input.name, bound.from, want, have, mismatch);
          this.reporter.error("CANAL1021", argument, message, hint);
          return;
        }
      }
      const fits =
        value.kind === "literal"
          ? acceptsValue(input.type, value.value)
          : !bound.type || accepts(input.type, bound.type);
      if (!fits) {
        const expected = describeType(input.type);
        const gets =
          value.kind === "literal"
            ? bound.from
            : `${bound.type ? describeType(bound.type) : "a value"} from ${bound.from}`;
        this.reporter.error(
          "CANAL1003",
          argument,
          `step \`${name}\` input \`${input.name}\` expects ${expected} but gets ${gets}; pass ${article(expected)} or change the input's type`,
          `bind \`${input.name}\` to a value of type ${expected}, or declare the input as the type it is given`,
        );
        return;
      }
      const entry: Input = { name: input.name, type: input.type, binding: bound.binding };
      if (input.optional) entry.optional = true;
      inputs.push(entry);
    });
    return inputs;
  }

  /** The message for a table bound where a schema it does not satisfy is declared. */
  private tableMessage(
    step: string,
    input: string,
    from: string,
    want: TableSchemaType,
    have: TableSchemaType,
    mismatch: TableMismatch,
  ): { message: string; hint: string } {
    const named = (schema: TableSchemaType): string => {
      const origin = schemaOrigin(schema);
      const where = origin ? ` (${relativePath(this.reporter.projectRoot, origin.file)}:${origin.line})` : "";
      return `\`${schema.schemaName ?? "its schema"}\`${where}`;
    };
    const column = mismatch.expected;
    const subject = `step \`${step}\` input \`${input}\``;
    const wantName = `\`${want.schemaName ?? "the input's schema"}\``;
    const haveName = `\`${have.schemaName ?? "the output's schema"}\``;
    if (mismatch.problem === "missing") {
      return {
        message: `${subject} reads a table with column \`${column.name}\` (${column.type}), declared in ${named(want)}, but gets ${from}, whose schema ${named(have)} has no column \`${column.name}\``,
        hint: `add \`${column.name}\` to ${haveName}, or remove it from ${wantName}`,
      };
    }
    if (mismatch.problem === "type") {
      return {
        message: `${subject} reads column \`${column.name}\` as ${column.type}, declared in ${named(want)}, but gets ${from}, whose schema ${named(have)} has it as ${mismatch.actual.type}`,
        hint: `declare \`${column.name}\` with one type in ${wantName} and ${haveName}, or convert it in a step between them`,
      };
    }
    return {
      message: `${subject} reads column \`${column.name}\` as never empty, declared in ${named(want)}, but gets ${from}, whose schema ${named(have)} lets its cells be empty`,
      hint: `make \`${column.name}\` nullable in ${wantName} (\`.nullable()\`), or declare it without \`.nullable()\`/\`.optional()\` in ${haveName}`,
    };
  }
}

/** A type with its table schemas left out: what is compared once the columns have been. */
function withoutTables(type: IrType): IrType {
  if ("list" in type) return { list: { element: withoutTables(type.list.element) } };
  if ("artifact" in type) return { artifact: { lineage: type.artifact.lineage } };
  return type;
}

/** "`Iris.train` (pipeline.ts)" or "`train` (steps.ts)". */
function describeDefinition(info: StepInfo): string {
  const { declaration, file } = info.definition;
  const name =
    declaration.form === "method"
      ? `${declaration.className}.${declaration.node.getName()}`
      : declaration.node.getName();
  return `\`${name}\` (${basename(file)})`;
}

function article(typeText: string): string {
  if (!/^[A-Za-z]/.test(typeText)) return `a value of type ${typeText}`;
  return /^[AEIOU]/.test(typeText) ? `an ${typeText}` : `a ${typeText}`;
}
