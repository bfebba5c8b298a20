import { Project } from "ts-morph";
import { describe, expect, it } from "vitest";
import { lineAndColumn } from "./report.js";

describe("lineAndColumn", () => {
  it("gives ts-morph's line and column at every position, across \\n, \\r\\n and \\r line ends", () => {
    const project = new Project({ useInMemoryFileSystem: true });
    const text = "const a = 1;\nconst b = 2;\r\n\r\nlet c\r= a;\n\n  export {};\n";
    const file = project.createSourceFile("/p.ts", text);
    for (let pos = 0; pos <= text.length; pos++)
      expect(lineAndColumn(file, pos), `at ${pos}`).toEqual(file.getLineAndColumnAtPos(pos));
  });
});
