import { existsSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, extname, relative, resolve, sep } from "node:path";
import { framedHash } from "@canal/ir";
import { type Project, ts } from "ts-morph";
import { CodeHashError } from "../errors.js";
import { type InstalledPackage, type Lockfile, packageEntry, packageName } from "../lockfile.js";
import { hashedContent, isInside, realpath, sha256, walkFiles } from "../snapshot.js";
import { type ModuleReference, moduleInfo } from "./syntax.js";

export interface CodeHashContext {
  project: Project;
  projectRoot: string;
  lockfile: Lockfile;
}

// ---------------------------------------------------------------------------------------------
// Other modules: whole files, since loading a module evaluates all of it, followed through every
// import they make. Bare specifiers that do not resolve to project source are packages, entered by
// their locked version (and the versions of what they depend on).
// ---------------------------------------------------------------------------------------------

const scriptFile = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const declarationFile = /\.d\.([cm]?)ts$/;

export class CodeGraph {
  readonly entries = new Map<string, string>();
  private readonly root: string;
  private readonly seen = new Set<string>();
  private readonly parsed = new Map<string, ts.SourceFile>();
  private readonly options: ts.CompilerOptions;
  private readonly host: ts.ModuleResolutionHost;

  constructor(
    private readonly ctx: CodeHashContext,
    private readonly owner: string,
  ) {
    this.root = realpath(ctx.projectRoot);
    this.options = ctx.project.getCompilerOptions();
    this.host = ctx.project.getModuleResolutionHost();
  }

  relative(path: string): string {
    return relative(this.root, realpath(path)).split(sep).join("/").normalize("NFC");
  }

  private isLocal(path: string): boolean {
    const real = realpath(path);
    return isInside(this.root, real) && !relative(this.root, real).split(sep).includes("node_modules");
  }

  follow(from: ts.SourceFile, reference: ModuleReference): void {
    const { specifier } = reference;
    if (isBuiltin(specifier) || /^[a-z][a-z+.-]+:/i.test(specifier)) return; // Node's own, or a URL
    const mode = ts.getModeForUsageLocation(from, reference.usage, this.options);
    const resolution = ts.resolveModuleName(
      specifier,
      from.fileName,
      this.options,
      this.host,
      undefined,
      undefined,
      mode,
    );
    const resolved = resolution.resolvedModule?.resolvedFileName;
    const name = packageName(specifier);
    if (resolved && this.isLocal(resolved) && !(name && declarationFile.test(resolved))) {
      this.addFile(resolved);
      return;
    }
    if (name) {
      const pkg = this.ctx.lockfile.resolve(name, from.fileName);
      if (pkg) this.addPackage(pkg);
      else if (resolved && this.isLocal(resolved)) this.addFile(resolved);
      else {
        // Installing it, or adding it to the lockfile, must change the hash.
        const missing = this.ctx.lockfile.path ? "not in the lockfile" : "not installed";
        this.entries.set(`npm:${name} (${missing})`, framedHash("canal.npm-package.v1", [name]));
      }
      return;
    }
    const target = resolved ?? resolve(dirname(from.fileName), specifier);
    if (!existsSync(target)) return; // unresolvable: the type check reports it
    if (!isInside(this.root, realpath(target))) {
      throw new CodeHashError(
        "CANAL_PATH_ESCAPES",
        `${this.owner}: ${this.relative(from.fileName)} imports "${specifier}", which is outside the project root ${this.root}`,
        "move the module into the project, or depend on it as a package",
      );
    }
    this.addFile(target);
  }

  /** A local file: a module is hashed whole and followed; any other file by its bytes. */
  private addFile(path: string): void {
    const declaration = declarationFile.exec(path);
    // A local .d.ts describes a sibling JavaScript file, which is what runs; alone it is only types.
    const file = declaration ? path.replace(declarationFile, `.${declaration[1]}js`) : path;
    if (declaration && !existsSync(file)) return;
    const real = realpath(file);
    if (this.seen.has(real)) return;
    this.seen.add(real);
    if (!scriptFile.test(real)) {
      this.entries.set(this.relative(real), sha256(hashedContent(readFileSync(real))));
      return;
    }
    const sf = this.sourceFile(real);
    const info = moduleInfo(sf);
    this.entries.set(this.relative(real), info.sha256);
    for (const reference of info.references) this.follow(sf, reference);
  }

  /** The program's parse when the file is in it; a parse of our own for, say, a .js file outside it. */
  private sourceFile(path: string): ts.SourceFile {
    const inProject = this.ctx.project.getSourceFile(path);
    if (inProject) return inProject.compilerNode;
    let sf = this.parsed.get(path);
    if (!sf) {
      const format = ts.getImpliedNodeFormatForFile(path, undefined, this.host, this.options);
      const kind = /x$/.test(extname(path)) ? ts.ScriptKind.TSX : ts.ScriptKind.Unknown;
      const target = { languageVersion: ts.ScriptTarget.Latest, impliedNodeFormat: format };
      sf = ts.createSourceFile(path, readFileSync(path, "utf8"), target, true, kind);
      this.parsed.set(path, sf);
    }
    return sf;
  }

  addPackage(pkg: InstalledPackage): void {
    const key = `pkg:${pkg.location}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (pkg.linkTarget) {
      // Linked (workspace or file:) package that does not resolve to project source, e.g. to its
      // built .d.ts: its files are what changes, so they are hashed, minus its node_modules.
      const inside = this.isLocal(pkg.linkTarget);
      const base = inside ? this.relative(pkg.linkTarget) : `link:${pkg.name}`;
      const walkRoot = inside ? this.ctx.projectRoot : pkg.linkTarget;
      const skipDirectories = new Set(["node_modules"]);
      for (const file of walkFiles(pkg.linkTarget, walkRoot, this.owner, { skipDirectories })) {
        this.entries.set(base ? `${base}/${file.path}` : file.path, file.sha256);
      }
    } else {
      // The installed files by content too: a patch in node_modules keeps the lockfile's claim.
      const entry = packageEntry(pkg, this.ctx.lockfile.contentDigest(pkg));
      this.entries.set(entry.path, entry.sha256);
    }
    for (const dependency of this.ctx.lockfile.dependenciesOf(pkg)) this.addPackage(dependency);
  }
}
