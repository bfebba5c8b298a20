import { CanalError } from "@canal/ir";

/** A pipeline that cannot be written as Kubernetes Jobs or an Argo Workflow: the message says what to change. */
export class ExportError extends CanalError<"CANAL_EXPORT_UNSUPPORTED"> {
  override name = "ExportError";
  constructor(message: string) {
    super("CANAL_EXPORT_UNSUPPORTED", message);
  }
}
