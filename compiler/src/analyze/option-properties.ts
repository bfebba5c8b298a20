// Reading an options object (of `@step`, `step.fn`, `@pipeline`) from the source: its properties,
// each a known key, written in place or held in a module-level const.
import { Node } from "ts-morph";
import { constDeclaration, propertyName, propertyValue, unwrap } from "./literal.js";
import type { Reporter } from "./report.js";

export const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
export const nameForm = "a string of letters, digits, '_', '.' or '-' starting with a letter or '_'";

/** The object literal holding options: written in place, or a module-level const. */
function optionsObject(node: Node): Node | undefined {
  let current = unwrap(node);
  for (let depth = 0; depth < 8 && Node.isIdentifier(current); depth++) {
    const initializer = constDeclaration(current)?.getInitializer();
    if (!initializer) return undefined;
    current = unwrap(initializer);
  }
  return Node.isObjectLiteralExpression(current) ? current : undefined;
}

type Property = { name: string; value: Node; property: Node };

export function properties(
  reporter: Reporter,
  node: Node,
  subject: string,
  keys: string[],
): Property[] | undefined {
  const object = optionsObject(node);
  if (!object || !Node.isObjectLiteralExpression(object)) {
    reporter.error(
      "CANAL1011",
      node,
      `${subject} options must be an object literal, or a module-level const holding one`,
      'write the options in place: { retries: 2, timeout: "1h" }',
    );
    return undefined;
  }
  const found: Property[] = [];
  for (const property of object.getProperties()) {
    const name = propertyName(property);
    const value = propertyValue(property);
    if (name === undefined || !value) {
      reporter.error(
        "CANAL1011",
        property,
        `${subject} options must be plain \`key: value\` properties; \`${property.getText()}\` is not`,
        "write each option as key: literal",
      );
    } else if (!keys.includes(name)) {
      reporter.error(
        "CANAL1011",
        property,
        `${subject} has an unknown option \`${name}\`; the options are ${keys.join(", ")}`,
        `remove \`${name}\` or use one of ${keys.join(", ")}`,
      );
    } else {
      found.push({ name, value, property });
    }
  }
  return found;
}
