import type { FanOut, Type as IrType, PipelineOutput } from "@canal/ir";
import {
  type CallExpression,
  type ForOfStatement,
  type IfStatement,
  type MethodDeclaration,
  Node,
  type ObjectLiteralExpression,
  type Statement,
  type VariableDeclaration,
  VariableDeclarationKind,
} from "ts-morph";
import { isEmptyArray, isGlobalPromise, strip } from "./body-nodes.js";
import { type StepCall, StepCalls } from "./calls.js";
import { negate, readConditions } from "./conditions.js";
import { ALLOWED, describeConstruct } from "./constructs.js";
import { FanOuts } from "./fan-out.js";
import { resolveStep } from "./find.js";
import { evaluateLiteral, unwrap } from "./literal.js";
import { memberOf, pipelineOutputs } from "./members.js";
import type { Reporter } from "./report.js";
import { type Frame, Scope } from "./scope.js";
import type { StepCatalog } from "./steps.js";
import type { Value } from "./values.js";

export interface BodyResult {
  calls: StepCall[];
  fanOuts: FanOut[];
  outputs: PipelineOutput[];
}

/**
 * Reads a `@pipeline` method's body into steps, bindings, fan-outs, conditions and outputs,
 * without running it. Everything outside the documented subset is reported as CANAL1002.
 */
export class BodyReader {
  private readonly fanOuts: FanOuts;
  private outputs: PipelineOutput[] = [];
  private readonly steps: StepCalls;

  constructor(
    private readonly reporter: Reporter,
    catalog: StepCatalog,
    private readonly pipelineName: string,
    private readonly parameters: Map<string, IrType | undefined>,
  ) {
    this.fanOuts = new FanOuts(reporter, pipelineName);
    this.steps = new StepCalls(reporter, catalog, pipelineName, (node, frame) => this.evaluate(node, frame));
  }

  read(method: MethodDeclaration): BodyResult {
    const scope = new Scope();
    for (const [name, type] of this.parameters) scope.set(name, { kind: "parameter", name, path: [], type });
    const body = method.getBody();
    if (Node.isBlock(body)) {
      this.statements(body.getStatements(), {
        scope,
        fanOut: undefined,
        conditions: [],
        returns: "outputs",
        loop: undefined,
      });
    }
    const used = new Set(this.steps.calls.map((c) => c.step.fanOut));
    return {
      calls: this.steps.calls,
      fanOuts: this.fanOuts.list.filter((f) => used.has(f.id)),
      outputs: this.outputs,
    };
  }

  private readonly refuse = (node: Node, construct: string): undefined => this.notAllowed(node, construct);

  private notAllowed(node: Node, construct = describeConstruct(node)): undefined {
    this.reporter.error(
      "CANAL1002",
      node,
      `${construct} cannot appear in pipeline \`${this.pipelineName}\`: its body is read by the compiler, never run`,
      ALLOWED,
    );
    return undefined;
  }

  /** Walks statements; returns what a `return` among them yields in a fan-out callback. */
  private statements(statements: Statement[], frame: Frame): Value | undefined {
    let element: Value | undefined;
    statements.forEach((statement, index) => {
      if (!Node.isReturnStatement(statement)) {
        this.statement(statement, frame);
        return;
      }
      if (frame.returns === false || index !== statements.length - 1) {
        const where = frame.returns === false ? "inside `if` or `for…of`" : "before the end of the body";
        this.notAllowed(statement, `\`return\` ${where}`);
        return;
      }
      const expression = statement.getExpression();
      const before = this.reporter.count;
      const value = expression ? this.evaluate(expression, frame) : undefined;
      if (expression && !value && this.reporter.count === before)
        this.notAllowed(expression, "returning a value that has none");
      if (frame.returns === "element") element = value;
      else if (value && expression) this.outputs = pipelineOutputs(value, expression, this.refuse);
    });
    return element;
  }

  private block(statement: Statement, frame: Frame): void {
    const inner = { ...frame, scope: frame.scope.child() };
    if (Node.isBlock(statement)) this.statements(statement.getStatements(), inner);
    else this.statement(statement, inner);
  }

  private statement(statement: Statement, frame: Frame): void {
    if (Node.isVariableStatement(statement)) {
      // A refused `let` is still bound, so that its uses do not each report it again.
      if (statement.getDeclarationKind() !== VariableDeclarationKind.Const) {
        this.notAllowed(statement.getDeclarationList(), `\`${statement.getDeclarationKind()}\` bindings`);
      }
      for (const declaration of statement.getDeclarations()) this.declare(declaration, frame);
    } else if (Node.isExpressionStatement(statement)) {
      this.evaluate(statement.getExpression(), frame);
    } else if (Node.isIfStatement(statement)) {
      this.ifStatement(statement, frame);
    } else if (Node.isForOfStatement(statement)) {
      this.forOf(statement, frame);
    } else if (Node.isBlock(statement)) {
      this.block(statement, frame);
    } else if (!Node.isEmptyStatement(statement)) {
      this.notAllowed(statement);
    }
  }

  private declare(declaration: VariableDeclaration, frame: Frame): void {
    const initializer = declaration.getInitializer();
    const nameNode = declaration.getNameNode();
    if (!initializer) {
      this.notAllowed(declaration, "a `const` without a value");
      return;
    }
    if (Node.isIdentifier(nameNode)) {
      if (isEmptyArray(initializer)) {
        frame.scope.set(nameNode.getText(), {
          kind: "pushTarget",
          name: nameNode.getText(),
          declaredIn: declaration,
        });
        return;
      }
      frame.scope.set(nameNode.getText(), this.evaluate(initializer, frame) ?? { kind: "invalid" });
      return;
    }
    this.destructure(nameNode, this.evaluate(initializer, frame) ?? { kind: "invalid" }, frame);
  }

  /** `const { model, metrics: m } = result` binds each name to the member it names. */
  private destructure(pattern: Node, value: Value, frame: Frame): void {
    if (!Node.isObjectBindingPattern(pattern)) {
      this.notAllowed(pattern, "array destructuring");
      return;
    }
    for (const element of pattern.getElements()) {
      const local = element.getNameNode();
      if (element.getDotDotDotToken() || element.getInitializer() || !Node.isIdentifier(local)) {
        this.notAllowed(element, "rest elements, defaults and nested patterns in destructuring");
        continue;
      }
      const property = element.getPropertyNameNode()?.getText() ?? local.getText();
      const member = value.kind === "invalid" ? value : memberOf(value, property, element, this.refuse);
      frame.scope.set(local.getText(), member ?? { kind: "invalid" });
    }
  }

  private ifStatement(statement: IfStatement, frame: Frame): void {
    const conditions =
      readConditions(this.reporter, statement.getExpression(), (node) => this.evaluate(node, frame)) ?? [];
    const branch = (extra: typeof conditions): Frame => ({
      ...frame,
      conditions: [...frame.conditions, ...extra],
      returns: false,
    });
    this.block(statement.getThenStatement(), branch(conditions));
    const otherwise = statement.getElseStatement();
    if (!otherwise) return;
    if (conditions.length > 1) {
      this.notAllowed(otherwise, "`else` after a condition joined with `&&`");
      return;
    }
    this.block(otherwise, branch(conditions.map(negate)));
  }

  /** `for (const x of items) { ...; results.push(r) }`: the loop form of a fan-out. */
  private forOf(statement: ForOfStatement, frame: Frame): void {
    const list = statement.getInitializer();
    const declaration = Node.isVariableDeclarationList(list) ? list.getDeclarations()[0] : undefined;
    if (
      statement.isAwaited() ||
      !Node.isVariableDeclarationList(list) ||
      list.getDeclarationKind() !== VariableDeclarationKind.Const ||
      !declaration
    ) {
      this.notAllowed(statement, "`for` loops other than `for (const x of items)`");
      return;
    }
    const start = this.fanOutStart(statement.getExpression(), statement, declaration.getName(), frame);
    if (!start) return;
    const scope = frame.scope.child();
    this.bindItem(declaration.getNameNode(), start.item, scope, frame);
    this.block(statement.getStatement(), {
      scope,
      fanOut: start.fanOut,
      conditions: frame.conditions,
      returns: false,
      loop: statement,
    });
  }

  private fanOutStart(source: Node, node: Node, itemName: string, frame: Frame) {
    const value = this.evaluate(source, frame);
    return value && this.fanOuts.start(value, source, node, itemName, frame, this.refuse);
  }

  private bindItem(nameNode: Node, item: Value | undefined, scope: Scope, frame: Frame): void {
    if (!item) {
      this.notAllowed(nameNode, "an item of a fan-out whose callback returns nothing");
      scope.set(nameNode.getText(), { kind: "invalid" });
      return;
    }
    if (Node.isIdentifier(nameNode)) scope.set(nameNode.getText(), item);
    else this.destructure(nameNode, item, { ...frame, scope });
  }

  /** `items.map((x) => ...)`: a fan-out whose callback's result is the per-item element. */
  private map(call: CallExpression, source: Node, frame: Frame): Value | undefined {
    const callback = call.getArguments()[0] ? unwrap(call.getArguments()[0] as Node) : undefined;
    if (
      !(Node.isArrowFunction(callback) || Node.isFunctionExpression(callback)) ||
      call.getArguments().length !== 1
    ) {
      return this.notAllowed(call, "`.map` without a callback written in place");
    }
    const parameters = callback.getParameters();
    if (parameters.length > 1)
      return this.notAllowed(parameters[1] as Node, "the index parameter of a `.map` callback");
    const itemNode = parameters[0]?.getNameNode();
    const start = this.fanOutStart(source, call, itemNode?.getText() ?? "item", frame);
    if (!start) return undefined;
    const scope = frame.scope.child();
    if (itemNode) this.bindItem(itemNode, start.item, scope, frame);
    const inner: Frame = {
      scope,
      fanOut: start.fanOut,
      conditions: frame.conditions,
      returns: "element",
      loop: undefined,
    };
    const body = callback.getBody();
    const before = this.reporter.count;
    const element = Node.isBlock(body)
      ? this.statements(body.getStatements(), inner)
      : this.evaluate(body, inner);
    // What a callback with errors yields is unknown; its uses are not reported again.
    if (this.reporter.count > before) return undefined;
    return { kind: "fanOutResult", fanOut: start.fanOut.id, element };
  }

  /** `results.push(value)` in a `for…of`: the loop's per-item element. */
  private push(call: CallExpression, target: Node, frame: Frame): undefined {
    const name = target.getText();
    const current = frame.scope.get(name);
    if (
      !frame.loop ||
      !frame.fanOut ||
      current?.kind !== "pushTarget" ||
      current.declaredIn.getFirstAncestor((a) => a === frame.loop)
    ) {
      const why =
        current?.kind === "fanOutResult"
          ? `\`${name}.push(...)\` a second time (one array collects one value per item of one loop)`
          : `\`${name}.push(...)\` outside a \`for…of\` loop over items, or into an array declared inside it`;
      return this.notAllowed(call, why);
    }
    const argument = call.getArguments()[0];
    if (!argument || call.getArguments().length !== 1)
      return this.notAllowed(call, "`push` of other than one value");
    const element = this.evaluate(argument, frame);
    frame.scope.replace(
      name,
      element ? { kind: "fanOutResult", fanOut: frame.fanOut.id, element } : { kind: "invalid" },
    );
    return undefined;
  }

  /** What an expression of the body stands for; undefined once it has been reported. */
  evaluate(expression: Node, frame: Frame): Value | undefined {
    const node = strip(expression);
    if (Node.isIdentifier(node)) return this.identifier(node, frame);
    if (Node.isCallExpression(node)) return this.call(node, frame);
    if (Node.isPropertyAccessExpression(node)) {
      if (Node.isThisExpression(node.getExpression()))
        return this.notAllowed(node, "`this.` outside a step call");
      const base = this.evaluate(node.getExpression(), frame);
      return base && memberOf(base, node.getName(), node, this.refuse);
    }
    const literal = evaluateLiteral(node);
    if (literal.ok) return { kind: "literal", value: literal.value };
    if (Node.isArrayLiteralExpression(node)) {
      for (const element of node.getElements()) if (!this.evaluate(element, frame)) return undefined;
      return this.notAllowed(node, "an array of step values (collect values with a fan-out instead)");
    }
    if (Node.isObjectLiteralExpression(node)) return this.object(node, frame);
    return this.notAllowed(node);
  }

  private identifier(node: Node, frame: Frame): Value | undefined {
    const name = node.getText();
    const bound = frame.scope.get(name);
    if (bound?.kind === "invalid") {
      this.reporter.acknowledge();
      return undefined;
    }
    if (bound) return bound;
    const literal = evaluateLiteral(node);
    if (literal.ok) return { kind: "literal", value: literal.value };
    return this.notAllowed(
      node,
      `\`${name}\`, which is not a pipeline parameter, a \`const\` of the body or a module-level literal constant,`,
    );
  }

  private object(node: ObjectLiteralExpression, frame: Frame): Value | undefined {
    const entries: Array<{ name: string; value: Value; node: Node }> = [];
    for (const property of node.getProperties()) {
      const valueNode = Node.isPropertyAssignment(property)
        ? property.getInitializer()
        : Node.isShorthandPropertyAssignment(property)
          ? property.getNameNode()
          : undefined;
      const nameNode =
        Node.isPropertyAssignment(property) || Node.isShorthandPropertyAssignment(property)
          ? property.getNameNode()
          : undefined;
      if (!valueNode || !(Node.isIdentifier(nameNode) || Node.isStringLiteral(nameNode))) {
        this.notAllowed(property, "spreads, methods and computed keys in an object literal");
        continue;
      }
      const value = this.evaluate(valueNode, frame);
      const name = Node.isStringLiteral(nameNode) ? nameNode.getLiteralValue() : nameNode.getText();
      if (value) entries.push({ name, value, node: valueNode });
    }
    return { kind: "object", entries };
  }

  private call(call: CallExpression, frame: Frame): Value | undefined {
    const reference = resolveStep(call);
    if (reference) return this.steps.call(call, reference, frame);
    const callee = unwrap(call.getExpression());
    if (Node.isPropertyAccessExpression(callee)) {
      const name = callee.getName();
      const object = unwrap(callee.getExpression());
      if (name === "all" && isGlobalPromise(object) && call.getArguments().length === 1) {
        return this.evaluate(call.getArguments()[0] as Node, frame);
      }
      if (name === "map" && !Node.isThisExpression(object)) return this.map(call, object, frame);
      if (name === "push" && Node.isIdentifier(object)) return this.push(call, object, frame);
    }
    const shown = callee.getText().replace(/^this\./, "");
    this.reporter.error(
      "CANAL1009",
      callee,
      `\`${shown}\` is not a step; only calls of @step methods and step.fn values may appear in a pipeline body (pipeline \`${this.pipelineName}\`)`,
      "decorate the method with @step, wrap the function with step.fn(...), or move this code into a step",
    );
    for (const argument of call.getArguments()) this.evaluate(argument, frame);
    return undefined;
  }
}
