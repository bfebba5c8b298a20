import type { Condition } from "@canal/ir";
import type { Node } from "ts-morph";
import type { Value } from "./values.js";

/** Lexical bindings of the pipeline body: `const`s, callback parameters, pipeline parameters. */
export class Scope {
  private readonly values = new Map<string, Value>();

  constructor(private readonly parent?: Scope) {}

  get(name: string): Value | undefined {
    return this.values.get(name) ?? this.parent?.get(name);
  }

  set(name: string, value: Value): void {
    this.values.set(name, value);
  }

  /** Rebinds a name where it was declared (a `for…of` filling an array declared before it). */
  replace(name: string, value: Value): void {
    if (this.values.has(name)) this.values.set(name, value);
    else this.parent?.replace(name, value);
  }

  child(): Scope {
    return new Scope(this);
  }
}

/** The fan-out a part of the body runs under. */
export interface FanOutFrame {
  id: string;
  /** The `.map(...)` call or `for…of` statement, for messages. */
  node: Node;
  /** How the fan-out reads in a message: "the fan-out over `lrs`". */
  label: string;
}

/** Where in the body a statement or expression sits. */
export interface Frame {
  scope: Scope;
  fanOut: FanOutFrame | undefined;
  /** Conditions of the enclosing `if`s: every step called here runs only when all hold. */
  conditions: Condition[];
  /** What a `return` here means: the pipeline's outputs, a fan-out callback's element, or nothing allowed. */
  returns: "outputs" | "element" | false;
  /** The `for…of` statement enclosing this code, whose fan-out `push` feeds. */
  loop: Node | undefined;
}
