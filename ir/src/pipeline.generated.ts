// @ts-nocheck: generated JavaScript; what schema.ts uses of it is typed at the end.
// Generated from ../pipeline.proto by scripts/generate-ir-codec.mjs (protobufjs-cli pbjs
// static-module). Do not edit: run `npm run generate -w @canal/ir`.
/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
import $protobuf from "protobufjs/minimal.js";

const $Writer = $protobuf.Writer, $util = $protobuf.util;
const $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $Array = $util.global.Array, $TypeError = $util.global.TypeError, $Number = $util.global.Number, $String = $util.global.String, $Boolean = $util.global.Boolean, $isFinite = $util.global.isFinite;

const $root = $protobuf.roots["canal-ir"] || ($protobuf.roots["canal-ir"] = {});

export const canal = $root.canal = (() => {

    const canal = {};

    canal.ir = (function() {

        const ir = {};

        ir.v1 = (function() {

            const v1 = {};

            v1.Pipeline = (function() {

                const Pipeline = function (properties) {
                    this.parameters = [];
                    this.steps = [];
                    this.fanOuts = [];
                    this.outputs = [];
                    this.environments = [];
                    this.blobs = [];
                    this.templates = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                Pipeline.prototype.irVersion = 0;
                Pipeline.prototype.minRuntimeVersion = "";
                Pipeline.prototype.name = "";
                Pipeline.prototype.description = "";
                Pipeline.prototype.parameters = $util.emptyArray;
                Pipeline.prototype.steps = $util.emptyArray;
                Pipeline.prototype.fanOuts = $util.emptyArray;
                Pipeline.prototype.outputs = $util.emptyArray;
                Pipeline.prototype.environments = $util.emptyArray;
                Pipeline.prototype.blobs = $util.emptyArray;
                Pipeline.prototype.source = null;
                Pipeline.prototype.compilerVersion = "";
                Pipeline.prototype.hash = "";
                Pipeline.prototype.templates = $util.emptyArray;

                Pipeline.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.irVersion != null && $Object.hasOwnProperty.call(message, "irVersion") && message.irVersion !== 0)
                        writer.uint32(8).uint32(message.irVersion);
                    if (message.minRuntimeVersion != null && $Object.hasOwnProperty.call(message, "minRuntimeVersion") && message.minRuntimeVersion !== "")
                        writer.uint32(18).string(message.minRuntimeVersion);
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(26).string(message.name);
                    if (message.description != null && $Object.hasOwnProperty.call(message, "description") && message.description !== "")
                        writer.uint32(34).string(message.description);
                    if (message.parameters != null && message.parameters.length)
                        for (let i = 0; i < message.parameters.length; ++i)
                            $root.canal.ir.v1.Parameter.encode(message.parameters[i], writer.uint32(42).fork(), _depth + 1).ldelim();
                    if (message.steps != null && message.steps.length)
                        for (let i = 0; i < message.steps.length; ++i)
                            $root.canal.ir.v1.Step.encode(message.steps[i], writer.uint32(50).fork(), _depth + 1).ldelim();
                    if (message.fanOuts != null && message.fanOuts.length)
                        for (let i = 0; i < message.fanOuts.length; ++i)
                            $root.canal.ir.v1.FanOut.encode(message.fanOuts[i], writer.uint32(58).fork(), _depth + 1).ldelim();
                    if (message.outputs != null && message.outputs.length)
                        for (let i = 0; i < message.outputs.length; ++i)
                            $root.canal.ir.v1.PipelineOutput.encode(message.outputs[i], writer.uint32(66).fork(), _depth + 1).ldelim();
                    if (message.environments != null && message.environments.length)
                        for (let i = 0; i < message.environments.length; ++i)
                            $root.canal.ir.v1.Environment.encode(message.environments[i], writer.uint32(74).fork(), _depth + 1).ldelim();
                    if (message.blobs != null && message.blobs.length)
                        for (let i = 0; i < message.blobs.length; ++i)
                            $root.canal.ir.v1.BlobRef.encode(message.blobs[i], writer.uint32(82).fork(), _depth + 1).ldelim();
                    if (message.source != null && $Object.hasOwnProperty.call(message, "source"))
                        $root.canal.ir.v1.SourceInfo.encode(message.source, writer.uint32(90).fork(), _depth + 1).ldelim();
                    if (message.compilerVersion != null && $Object.hasOwnProperty.call(message, "compilerVersion") && message.compilerVersion !== "")
                        writer.uint32(98).string(message.compilerVersion);
                    if (message.hash != null && $Object.hasOwnProperty.call(message, "hash") && message.hash !== "")
                        writer.uint32(106).string(message.hash);
                    if (message.templates != null && message.templates.length)
                        for (let i = 0; i < message.templates.length; ++i)
                            $root.canal.ir.v1.Step.encode(message.templates[i], writer.uint32(114).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                Pipeline.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.irVersion != null && $Object.hasOwnProperty.call(message, "irVersion"))
                        if (!$util.isInteger(message.irVersion))
                            return "irVersion: integer expected";
                    if (message.minRuntimeVersion != null && $Object.hasOwnProperty.call(message, "minRuntimeVersion"))
                        if (!$util.isString(message.minRuntimeVersion))
                            return "minRuntimeVersion: string expected";
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        if (!$util.isString(message.name))
                            return "name: string expected";
                    if (message.description != null && $Object.hasOwnProperty.call(message, "description"))
                        if (!$util.isString(message.description))
                            return "description: string expected";
                    if (message.parameters != null && $Object.hasOwnProperty.call(message, "parameters")) {
                        if (!$Array.isArray(message.parameters))
                            return "parameters: array expected";
                        for (let i = 0; i < message.parameters.length; ++i) {
                            let error = $root.canal.ir.v1.Parameter.verify(message.parameters[i], _depth + 1);
                            if (error)
                                return "parameters." + error;
                        }
                    }
                    if (message.steps != null && $Object.hasOwnProperty.call(message, "steps")) {
                        if (!$Array.isArray(message.steps))
                            return "steps: array expected";
                        for (let i = 0; i < message.steps.length; ++i) {
                            let error = $root.canal.ir.v1.Step.verify(message.steps[i], _depth + 1);
                            if (error)
                                return "steps." + error;
                        }
                    }
                    if (message.fanOuts != null && $Object.hasOwnProperty.call(message, "fanOuts")) {
                        if (!$Array.isArray(message.fanOuts))
                            return "fanOuts: array expected";
                        for (let i = 0; i < message.fanOuts.length; ++i) {
                            let error = $root.canal.ir.v1.FanOut.verify(message.fanOuts[i], _depth + 1);
                            if (error)
                                return "fanOuts." + error;
                        }
                    }
                    if (message.outputs != null && $Object.hasOwnProperty.call(message, "outputs")) {
                        if (!$Array.isArray(message.outputs))
                            return "outputs: array expected";
                        for (let i = 0; i < message.outputs.length; ++i) {
                            let error = $root.canal.ir.v1.PipelineOutput.verify(message.outputs[i], _depth + 1);
                            if (error)
                                return "outputs." + error;
                        }
                    }
                    if (message.environments != null && $Object.hasOwnProperty.call(message, "environments")) {
                        if (!$Array.isArray(message.environments))
                            return "environments: array expected";
                        for (let i = 0; i < message.environments.length; ++i) {
                            let error = $root.canal.ir.v1.Environment.verify(message.environments[i], _depth + 1);
                            if (error)
                                return "environments." + error;
                        }
                    }
                    if (message.blobs != null && $Object.hasOwnProperty.call(message, "blobs")) {
                        if (!$Array.isArray(message.blobs))
                            return "blobs: array expected";
                        for (let i = 0; i < message.blobs.length; ++i) {
                            let error = $root.canal.ir.v1.BlobRef.verify(message.blobs[i], _depth + 1);
                            if (error)
                                return "blobs." + error;
                        }
                    }
                    if (message.source != null && $Object.hasOwnProperty.call(message, "source")) {
                        let error = $root.canal.ir.v1.SourceInfo.verify(message.source, _depth + 1);
                        if (error)
                            return "source." + error;
                    }
                    if (message.compilerVersion != null && $Object.hasOwnProperty.call(message, "compilerVersion"))
                        if (!$util.isString(message.compilerVersion))
                            return "compilerVersion: string expected";
                    if (message.hash != null && $Object.hasOwnProperty.call(message, "hash"))
                        if (!$util.isString(message.hash))
                            return "hash: string expected";
                    if (message.templates != null && $Object.hasOwnProperty.call(message, "templates")) {
                        if (!$Array.isArray(message.templates))
                            return "templates: array expected";
                        for (let i = 0; i < message.templates.length; ++i) {
                            let error = $root.canal.ir.v1.Step.verify(message.templates[i], _depth + 1);
                            if (error)
                                return "templates." + error;
                        }
                    }
                    return null;
                };

                Pipeline.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.Pipeline)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.Pipeline: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.Pipeline();
                    if (object.irVersion != null)
                        if ($Number(object.irVersion) !== 0)
                            message.irVersion = object.irVersion >>> 0;
                    if (object.minRuntimeVersion != null)
                        if (typeof object.minRuntimeVersion !== "string" || object.minRuntimeVersion.length)
                            message.minRuntimeVersion = $String(object.minRuntimeVersion);
                    if (object.name != null)
                        if (typeof object.name !== "string" || object.name.length)
                            message.name = $String(object.name);
                    if (object.description != null)
                        if (typeof object.description !== "string" || object.description.length)
                            message.description = $String(object.description);
                    if (object.parameters) {
                        if (!$Array.isArray(object.parameters))
                            throw $TypeError(".canal.ir.v1.Pipeline.parameters: array expected");
                        message.parameters = $Array(object.parameters.length);
                        for (let i = 0; i < object.parameters.length; ++i) {
                            if (!$util.isObject(object.parameters[i]))
                                throw $TypeError(".canal.ir.v1.Pipeline.parameters: object expected");
                            message.parameters[i] = $root.canal.ir.v1.Parameter.fromObject(object.parameters[i], _depth + 1);
                        }
                    }
                    if (object.steps) {
                        if (!$Array.isArray(object.steps))
                            throw $TypeError(".canal.ir.v1.Pipeline.steps: array expected");
                        message.steps = $Array(object.steps.length);
                        for (let i = 0; i < object.steps.length; ++i) {
                            if (!$util.isObject(object.steps[i]))
                                throw $TypeError(".canal.ir.v1.Pipeline.steps: object expected");
                            message.steps[i] = $root.canal.ir.v1.Step.fromObject(object.steps[i], _depth + 1);
                        }
                    }
                    if (object.fanOuts) {
                        if (!$Array.isArray(object.fanOuts))
                            throw $TypeError(".canal.ir.v1.Pipeline.fanOuts: array expected");
                        message.fanOuts = $Array(object.fanOuts.length);
                        for (let i = 0; i < object.fanOuts.length; ++i) {
                            if (!$util.isObject(object.fanOuts[i]))
                                throw $TypeError(".canal.ir.v1.Pipeline.fanOuts: object expected");
                            message.fanOuts[i] = $root.canal.ir.v1.FanOut.fromObject(object.fanOuts[i], _depth + 1);
                        }
                    }
                    if (object.outputs) {
                        if (!$Array.isArray(object.outputs))
                            throw $TypeError(".canal.ir.v1.Pipeline.outputs: array expected");
                        message.outputs = $Array(object.outputs.length);
                        for (let i = 0; i < object.outputs.length; ++i) {
                            if (!$util.isObject(object.outputs[i]))
                                throw $TypeError(".canal.ir.v1.Pipeline.outputs: object expected");
                            message.outputs[i] = $root.canal.ir.v1.PipelineOutput.fromObject(object.outputs[i], _depth + 1);
                        }
                    }
                    if (object.environments) {
                        if (!$Array.isArray(object.environments))
                            throw $TypeError(".canal.ir.v1.Pipeline.environments: array expected");
                        message.environments = $Array(object.environments.length);
                        for (let i = 0; i < object.environments.length; ++i) {
                            if (!$util.isObject(object.environments[i]))
                                throw $TypeError(".canal.ir.v1.Pipeline.environments: object expected");
                            message.environments[i] = $root.canal.ir.v1.Environment.fromObject(object.environments[i], _depth + 1);
                        }
                    }
                    if (object.blobs) {
                        if (!$Array.isArray(object.blobs))
                            throw $TypeError(".canal.ir.v1.Pipeline.blobs: array expected");
                        message.blobs = $Array(object.blobs.length);
                        for (let i = 0; i < object.blobs.length; ++i) {
                            if (!$util.isObject(object.blobs[i]))
                                throw $TypeError(".canal.ir.v1.Pipeline.blobs: object expected");
                            message.blobs[i] = $root.canal.ir.v1.BlobRef.fromObject(object.blobs[i], _depth + 1);
                        }
                    }
                    if (object.source != null) {
                        if (!$util.isObject(object.source))
                            throw $TypeError(".canal.ir.v1.Pipeline.source: object expected");
                        message.source = $root.canal.ir.v1.SourceInfo.fromObject(object.source, _depth + 1);
                    }
                    if (object.compilerVersion != null)
                        if (typeof object.compilerVersion !== "string" || object.compilerVersion.length)
                            message.compilerVersion = $String(object.compilerVersion);
                    if (object.hash != null)
                        if (typeof object.hash !== "string" || object.hash.length)
                            message.hash = $String(object.hash);
                    if (object.templates) {
                        if (!$Array.isArray(object.templates))
                            throw $TypeError(".canal.ir.v1.Pipeline.templates: array expected");
                        message.templates = $Array(object.templates.length);
                        for (let i = 0; i < object.templates.length; ++i) {
                            if (!$util.isObject(object.templates[i]))
                                throw $TypeError(".canal.ir.v1.Pipeline.templates: object expected");
                            message.templates[i] = $root.canal.ir.v1.Step.fromObject(object.templates[i], _depth + 1);
                        }
                    }
                    return message;
                };

                Pipeline.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.arrays || options.defaults) {
                        object.parameters = [];
                        object.steps = [];
                        object.fanOuts = [];
                        object.outputs = [];
                        object.environments = [];
                        object.blobs = [];
                        object.templates = [];
                    }
                    if (options.defaults) {
                        object.irVersion = 0;
                        object.minRuntimeVersion = "";
                        object.name = "";
                        object.description = "";
                        object.source = null;
                        object.compilerVersion = "";
                        object.hash = "";
                    }
                    if (message.irVersion != null && $Object.hasOwnProperty.call(message, "irVersion"))
                        object.irVersion = message.irVersion;
                    if (message.minRuntimeVersion != null && $Object.hasOwnProperty.call(message, "minRuntimeVersion"))
                        object.minRuntimeVersion = message.minRuntimeVersion;
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        object.name = message.name;
                    if (message.description != null && $Object.hasOwnProperty.call(message, "description"))
                        object.description = message.description;
                    if (message.parameters && message.parameters.length) {
                        object.parameters = $Array(message.parameters.length);
                        for (let j = 0; j < message.parameters.length; ++j)
                            object.parameters[j] = $root.canal.ir.v1.Parameter.toObject(message.parameters[j], options, _depth + 1);
                    }
                    if (message.steps && message.steps.length) {
                        object.steps = $Array(message.steps.length);
                        for (let j = 0; j < message.steps.length; ++j)
                            object.steps[j] = $root.canal.ir.v1.Step.toObject(message.steps[j], options, _depth + 1);
                    }
                    if (message.fanOuts && message.fanOuts.length) {
                        object.fanOuts = $Array(message.fanOuts.length);
                        for (let j = 0; j < message.fanOuts.length; ++j)
                            object.fanOuts[j] = $root.canal.ir.v1.FanOut.toObject(message.fanOuts[j], options, _depth + 1);
                    }
                    if (message.outputs && message.outputs.length) {
                        object.outputs = $Array(message.outputs.length);
                        for (let j = 0; j < message.outputs.length; ++j)
                            object.outputs[j] = $root.canal.ir.v1.PipelineOutput.toObject(message.outputs[j], options, _depth + 1);
                    }
                    if (message.environments && message.environments.length) {
                        object.environments = $Array(message.environments.length);
                        for (let j = 0; j < message.environments.length; ++j)
                            object.environments[j] = $root.canal.ir.v1.Environment.toObject(message.environments[j], options, _depth + 1);
                    }
                    if (message.blobs && message.blobs.length) {
                        object.blobs = $Array(message.blobs.length);
                        for (let j = 0; j < message.blobs.length; ++j)
                            object.blobs[j] = $root.canal.ir.v1.BlobRef.toObject(message.blobs[j], options, _depth + 1);
                    }
                    if (message.source != null && $Object.hasOwnProperty.call(message, "source"))
                        object.source = $root.canal.ir.v1.SourceInfo.toObject(message.source, options, _depth + 1);
                    if (message.compilerVersion != null && $Object.hasOwnProperty.call(message, "compilerVersion"))
                        object.compilerVersion = message.compilerVersion;
                    if (message.hash != null && $Object.hasOwnProperty.call(message, "hash"))
                        object.hash = message.hash;
                    if (message.templates && message.templates.length) {
                        object.templates = $Array(message.templates.length);
                        for (let j = 0; j < message.templates.length; ++j)
                            object.templates[j] = $root.canal.ir.v1.Step.toObject(message.templates[j], options, _depth + 1);
                    }
                    return object;
                };

                Pipeline.prototype.toJSON = function() {
                    return Pipeline.toObject(this, $protobuf.util.toJSONOptions);
                };

                return Pipeline;
            })();

            v1.Type = (function() {

                const Type = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                Type.prototype.primitive = null;
                Type.prototype.artifact = null;
                Type.prototype.list = null;
                Type.prototype["enum"] = null;
                Type.prototype.object = null;

                let $oneOfFields;

                $Object.defineProperty(Type.prototype, "kind", {
                    get: $util.oneOfGetter($oneOfFields = ["primitive", "artifact", "list", "enum", "object"]),
                    set: $util.oneOfSetter($oneOfFields)
                });

                Type.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.primitive != null && $Object.hasOwnProperty.call(message, "primitive"))
                        writer.uint32(8).int32(message.primitive);
                    if (message.artifact != null && $Object.hasOwnProperty.call(message, "artifact"))
                        $root.canal.ir.v1.ArtifactType.encode(message.artifact, writer.uint32(18).fork(), _depth + 1).ldelim();
                    if (message.list != null && $Object.hasOwnProperty.call(message, "list"))
                        $root.canal.ir.v1.ListType.encode(message.list, writer.uint32(26).fork(), _depth + 1).ldelim();
                    if (message["enum"] != null && $Object.hasOwnProperty.call(message, "enum"))
                        $root.canal.ir.v1.EnumType.encode(message["enum"], writer.uint32(34).fork(), _depth + 1).ldelim();
                    if (message.object != null && $Object.hasOwnProperty.call(message, "object"))
                        $root.canal.ir.v1.ObjectType.encode(message.object, writer.uint32(42).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                Type.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    let properties = {};
                    if (message.primitive != null && $Object.hasOwnProperty.call(message, "primitive")) {
                        properties.kind = 1;
                        if (typeof message.primitive !== "number" || (message.primitive | 0) !== message.primitive)
                            return "primitive: enum value expected";
                    }
                    if (message.artifact != null && $Object.hasOwnProperty.call(message, "artifact")) {
                        if (properties.kind === 1)
                            return "kind: multiple values";
                        properties.kind = 1;
                        {
                            let error = $root.canal.ir.v1.ArtifactType.verify(message.artifact, _depth + 1);
                            if (error)
                                return "artifact." + error;
                        }
                    }
                    if (message.list != null && $Object.hasOwnProperty.call(message, "list")) {
                        if (properties.kind === 1)
                            return "kind: multiple values";
                        properties.kind = 1;
                        {
                            let error = $root.canal.ir.v1.ListType.verify(message.list, _depth + 1);
                            if (error)
                                return "list." + error;
                        }
                    }
                    if (message["enum"] != null && $Object.hasOwnProperty.call(message, "enum")) {
                        if (properties.kind === 1)
                            return "kind: multiple values";
                        properties.kind = 1;
                        {
                            let error = $root.canal.ir.v1.EnumType.verify(message["enum"], _depth + 1);
                            if (error)
                                return "enum." + error;
                        }
                    }
                    if (message.object != null && $Object.hasOwnProperty.call(message, "object")) {
                        if (properties.kind === 1)
                            return "kind: multiple values";
                        properties.kind = 1;
                        {
                            let error = $root.canal.ir.v1.ObjectType.verify(message.object, _depth + 1);
                            if (error)
                                return "object." + error;
                        }
                    }
                    return null;
                };

                Type.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.Type)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.Type: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.Type();
                    switch (object.primitive) {
                    case "PRIMITIVE_UNSPECIFIED":
                    case 0:
                        message.primitive = 0;
                        break;
                    case "NUMBER":
                    case 1:
                        message.primitive = 1;
                        break;
                    case "STRING":
                    case 2:
                        message.primitive = 2;
                        break;
                    case "BOOLEAN":
                    case 3:
                        message.primitive = 3;
                        break;
                    default:
                        if (typeof object.primitive === "number" && (object.primitive | 0) === object.primitive)
                            message.primitive = object.primitive;
                    }
                    if (object.artifact != null) {
                        if (!$util.isObject(object.artifact))
                            throw $TypeError(".canal.ir.v1.Type.artifact: object expected");
                        message.artifact = $root.canal.ir.v1.ArtifactType.fromObject(object.artifact, _depth + 1);
                    }
                    if (object.list != null) {
                        if (!$util.isObject(object.list))
                            throw $TypeError(".canal.ir.v1.Type.list: object expected");
                        message.list = $root.canal.ir.v1.ListType.fromObject(object.list, _depth + 1);
                    }
                    if (object["enum"] != null) {
                        if (!$util.isObject(object["enum"]))
                            throw $TypeError(".canal.ir.v1.Type.enum: object expected");
                        message["enum"] = $root.canal.ir.v1.EnumType.fromObject(object["enum"], _depth + 1);
                    }
                    if (object.object != null) {
                        if (!$util.isObject(object.object))
                            throw $TypeError(".canal.ir.v1.Type.object: object expected");
                        message.object = $root.canal.ir.v1.ObjectType.fromObject(object.object, _depth + 1);
                    }
                    return message;
                };

                Type.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (message.primitive != null && $Object.hasOwnProperty.call(message, "primitive")) {
                        object.primitive = options.enums === $String ? $root.canal.ir.v1.PrimitiveType[message.primitive] === $undefined ? message.primitive : $root.canal.ir.v1.PrimitiveType[message.primitive] : message.primitive;
                        if (options.oneofs)
                            object.kind = "primitive";
                    }
                    if (message.artifact != null && $Object.hasOwnProperty.call(message, "artifact")) {
                        object.artifact = $root.canal.ir.v1.ArtifactType.toObject(message.artifact, options, _depth + 1);
                        if (options.oneofs)
                            object.kind = "artifact";
                    }
                    if (message.list != null && $Object.hasOwnProperty.call(message, "list")) {
                        object.list = $root.canal.ir.v1.ListType.toObject(message.list, options, _depth + 1);
                        if (options.oneofs)
                            object.kind = "list";
                    }
                    if (message["enum"] != null && $Object.hasOwnProperty.call(message, "enum")) {
                        object["enum"] = $root.canal.ir.v1.EnumType.toObject(message["enum"], options, _depth + 1);
                        if (options.oneofs)
                            object.kind = "enum";
                    }
                    if (message.object != null && $Object.hasOwnProperty.call(message, "object")) {
                        object.object = $root.canal.ir.v1.ObjectType.toObject(message.object, options, _depth + 1);
                        if (options.oneofs)
                            object.kind = "object";
                    }
                    return object;
                };

                Type.prototype.toJSON = function() {
                    return Type.toObject(this, $protobuf.util.toJSONOptions);
                };

                return Type;
            })();

            v1.PrimitiveType = (function() {
                const valuesById = $Object.create(null), values = $Object.create(valuesById);
                values[valuesById[0] = "PRIMITIVE_UNSPECIFIED"] = 0;
                values[valuesById[1] = "NUMBER"] = 1;
                values[valuesById[2] = "STRING"] = 2;
                values[valuesById[3] = "BOOLEAN"] = 3;
                return values;
            })();

            v1.ArtifactType = (function() {

                const ArtifactType = function (properties) {
                    this.lineage = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                ArtifactType.prototype.lineage = $util.emptyArray;
                ArtifactType.prototype.table = null;

                ArtifactType.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.lineage != null && message.lineage.length)
                        for (let i = 0; i < message.lineage.length; ++i)
                            writer.uint32(10).string(message.lineage[i]);
                    if (message.table != null && $Object.hasOwnProperty.call(message, "table"))
                        $root.canal.ir.v1.TableSchema.encode(message.table, writer.uint32(18).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                ArtifactType.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.lineage != null && $Object.hasOwnProperty.call(message, "lineage")) {
                        if (!$Array.isArray(message.lineage))
                            return "lineage: array expected";
                        for (let i = 0; i < message.lineage.length; ++i)
                            if (!$util.isString(message.lineage[i]))
                                return "lineage: string[] expected";
                    }
                    if (message.table != null && $Object.hasOwnProperty.call(message, "table")) {
                        let error = $root.canal.ir.v1.TableSchema.verify(message.table, _depth + 1);
                        if (error)
                            return "table." + error;
                    }
                    return null;
                };

                ArtifactType.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.ArtifactType)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.ArtifactType: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.ArtifactType();
                    if (object.lineage) {
                        if (!$Array.isArray(object.lineage))
                            throw $TypeError(".canal.ir.v1.ArtifactType.lineage: array expected");
                        message.lineage = $Array(object.lineage.length);
                        for (let i = 0; i < object.lineage.length; ++i)
                            message.lineage[i] = $String(object.lineage[i]);
                    }
                    if (object.table != null) {
                        if (!$util.isObject(object.table))
                            throw $TypeError(".canal.ir.v1.ArtifactType.table: object expected");
                        message.table = $root.canal.ir.v1.TableSchema.fromObject(object.table, _depth + 1);
                    }
                    return message;
                };

                ArtifactType.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.arrays || options.defaults)
                        object.lineage = [];
                    if (options.defaults)
                        object.table = null;
                    if (message.lineage && message.lineage.length) {
                        object.lineage = $Array(message.lineage.length);
                        for (let j = 0; j < message.lineage.length; ++j)
                            object.lineage[j] = message.lineage[j];
                    }
                    if (message.table != null && $Object.hasOwnProperty.call(message, "table"))
                        object.table = $root.canal.ir.v1.TableSchema.toObject(message.table, options, _depth + 1);
                    return object;
                };

                ArtifactType.prototype.toJSON = function() {
                    return ArtifactType.toObject(this, $protobuf.util.toJSONOptions);
                };

                return ArtifactType;
            })();

            v1.TableSchema = (function() {

                const TableSchema = function (properties) {
                    this.columns = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                TableSchema.prototype.columns = $util.emptyArray;
                TableSchema.prototype.schemaName = "";

                TableSchema.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.columns != null && message.columns.length)
                        for (let i = 0; i < message.columns.length; ++i)
                            $root.canal.ir.v1.TableColumn.encode(message.columns[i], writer.uint32(10).fork(), _depth + 1).ldelim();
                    if (message.schemaName != null && $Object.hasOwnProperty.call(message, "schemaName") && message.schemaName !== "")
                        writer.uint32(18).string(message.schemaName);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                TableSchema.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.columns != null && $Object.hasOwnProperty.call(message, "columns")) {
                        if (!$Array.isArray(message.columns))
                            return "columns: array expected";
                        for (let i = 0; i < message.columns.length; ++i) {
                            let error = $root.canal.ir.v1.TableColumn.verify(message.columns[i], _depth + 1);
                            if (error)
                                return "columns." + error;
                        }
                    }
                    if (message.schemaName != null && $Object.hasOwnProperty.call(message, "schemaName"))
                        if (!$util.isString(message.schemaName))
                            return "schemaName: string expected";
                    return null;
                };

                TableSchema.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.TableSchema)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.TableSchema: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.TableSchema();
                    if (object.columns) {
                        if (!$Array.isArray(object.columns))
                            throw $TypeError(".canal.ir.v1.TableSchema.columns: array expected");
                        message.columns = $Array(object.columns.length);
                        for (let i = 0; i < object.columns.length; ++i) {
                            if (!$util.isObject(object.columns[i]))
                                throw $TypeError(".canal.ir.v1.TableSchema.columns: object expected");
                            message.columns[i] = $root.canal.ir.v1.TableColumn.fromObject(object.columns[i], _depth + 1);
                        }
                    }
                    if (object.schemaName != null)
                        if (typeof object.schemaName !== "string" || object.schemaName.length)
                            message.schemaName = $String(object.schemaName);
                    return message;
                };

                TableSchema.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.arrays || options.defaults)
                        object.columns = [];
                    if (options.defaults)
                        object.schemaName = "";
                    if (message.columns && message.columns.length) {
                        object.columns = $Array(message.columns.length);
                        for (let j = 0; j < message.columns.length; ++j)
                            object.columns[j] = $root.canal.ir.v1.TableColumn.toObject(message.columns[j], options, _depth + 1);
                    }
                    if (message.schemaName != null && $Object.hasOwnProperty.call(message, "schemaName"))
                        object.schemaName = message.schemaName;
                    return object;
                };

                TableSchema.prototype.toJSON = function() {
                    return TableSchema.toObject(this, $protobuf.util.toJSONOptions);
                };

                return TableSchema;
            })();

            v1.TableColumn = (function() {

                const TableColumn = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                TableColumn.prototype.name = "";
                TableColumn.prototype.type = "";
                TableColumn.prototype.nullable = false;

                TableColumn.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(10).string(message.name);
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type") && message.type !== "")
                        writer.uint32(18).string(message.type);
                    if (message.nullable != null && $Object.hasOwnProperty.call(message, "nullable") && message.nullable !== false)
                        writer.uint32(24).bool(message.nullable);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                TableColumn.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        if (!$util.isString(message.name))
                            return "name: string expected";
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type"))
                        if (!$util.isString(message.type))
                            return "type: string expected";
                    if (message.nullable != null && $Object.hasOwnProperty.call(message, "nullable"))
                        if (typeof message.nullable !== "boolean")
                            return "nullable: boolean expected";
                    return null;
                };

                TableColumn.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.TableColumn)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.TableColumn: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.TableColumn();
                    if (object.name != null)
                        if (typeof object.name !== "string" || object.name.length)
                            message.name = $String(object.name);
                    if (object.type != null)
                        if (typeof object.type !== "string" || object.type.length)
                            message.type = $String(object.type);
                    if (object.nullable != null)
                        if (object.nullable)
                            message.nullable = $Boolean(object.nullable);
                    return message;
                };

                TableColumn.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.name = "";
                        object.type = "";
                        object.nullable = false;
                    }
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        object.name = message.name;
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type"))
                        object.type = message.type;
                    if (message.nullable != null && $Object.hasOwnProperty.call(message, "nullable"))
                        object.nullable = message.nullable;
                    return object;
                };

                TableColumn.prototype.toJSON = function() {
                    return TableColumn.toObject(this, $protobuf.util.toJSONOptions);
                };

                return TableColumn;
            })();

            v1.ListType = (function() {

                const ListType = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                ListType.prototype.element = null;

                ListType.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.element != null && $Object.hasOwnProperty.call(message, "element"))
                        $root.canal.ir.v1.Type.encode(message.element, writer.uint32(10).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                ListType.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.element != null && $Object.hasOwnProperty.call(message, "element")) {
                        let error = $root.canal.ir.v1.Type.verify(message.element, _depth + 1);
                        if (error)
                            return "element." + error;
                    }
                    return null;
                };

                ListType.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.ListType)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.ListType: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.ListType();
                    if (object.element != null) {
                        if (!$util.isObject(object.element))
                            throw $TypeError(".canal.ir.v1.ListType.element: object expected");
                        message.element = $root.canal.ir.v1.Type.fromObject(object.element, _depth + 1);
                    }
                    return message;
                };

                ListType.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults)
                        object.element = null;
                    if (message.element != null && $Object.hasOwnProperty.call(message, "element"))
                        object.element = $root.canal.ir.v1.Type.toObject(message.element, options, _depth + 1);
                    return object;
                };

                ListType.prototype.toJSON = function() {
                    return ListType.toObject(this, $protobuf.util.toJSONOptions);
                };

                return ListType;
            })();

            v1.EnumType = (function() {

                const EnumType = function (properties) {
                    this.valuesJson = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                EnumType.prototype.valuesJson = $util.emptyArray;

                EnumType.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.valuesJson != null && message.valuesJson.length)
                        for (let i = 0; i < message.valuesJson.length; ++i)
                            writer.uint32(10).string(message.valuesJson[i]);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                EnumType.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.valuesJson != null && $Object.hasOwnProperty.call(message, "valuesJson")) {
                        if (!$Array.isArray(message.valuesJson))
                            return "valuesJson: array expected";
                        for (let i = 0; i < message.valuesJson.length; ++i)
                            if (!$util.isString(message.valuesJson[i]))
                                return "valuesJson: string[] expected";
                    }
                    return null;
                };

                EnumType.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.EnumType)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.EnumType: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.EnumType();
                    if (object.valuesJson) {
                        if (!$Array.isArray(object.valuesJson))
                            throw $TypeError(".canal.ir.v1.EnumType.valuesJson: array expected");
                        message.valuesJson = $Array(object.valuesJson.length);
                        for (let i = 0; i < object.valuesJson.length; ++i)
                            message.valuesJson[i] = $String(object.valuesJson[i]);
                    }
                    return message;
                };

                EnumType.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.arrays || options.defaults)
                        object.valuesJson = [];
                    if (message.valuesJson && message.valuesJson.length) {
                        object.valuesJson = $Array(message.valuesJson.length);
                        for (let j = 0; j < message.valuesJson.length; ++j)
                            object.valuesJson[j] = message.valuesJson[j];
                    }
                    return object;
                };

                EnumType.prototype.toJSON = function() {
                    return EnumType.toObject(this, $protobuf.util.toJSONOptions);
                };

                return EnumType;
            })();

            v1.ObjectType = (function() {

                const ObjectType = function (properties) {
                    this.fields = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                ObjectType.prototype.fields = $util.emptyArray;
                ObjectType.prototype.schemaName = "";

                ObjectType.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.fields != null && message.fields.length)
                        for (let i = 0; i < message.fields.length; ++i)
                            $root.canal.ir.v1.Field.encode(message.fields[i], writer.uint32(10).fork(), _depth + 1).ldelim();
                    if (message.schemaName != null && $Object.hasOwnProperty.call(message, "schemaName") && message.schemaName !== "")
                        writer.uint32(18).string(message.schemaName);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                ObjectType.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.fields != null && $Object.hasOwnProperty.call(message, "fields")) {
                        if (!$Array.isArray(message.fields))
                            return "fields: array expected";
                        for (let i = 0; i < message.fields.length; ++i) {
                            let error = $root.canal.ir.v1.Field.verify(message.fields[i], _depth + 1);
                            if (error)
                                return "fields." + error;
                        }
                    }
                    if (message.schemaName != null && $Object.hasOwnProperty.call(message, "schemaName"))
                        if (!$util.isString(message.schemaName))
                            return "schemaName: string expected";
                    return null;
                };

                ObjectType.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.ObjectType)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.ObjectType: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.ObjectType();
                    if (object.fields) {
                        if (!$Array.isArray(object.fields))
                            throw $TypeError(".canal.ir.v1.ObjectType.fields: array expected");
                        message.fields = $Array(object.fields.length);
                        for (let i = 0; i < object.fields.length; ++i) {
                            if (!$util.isObject(object.fields[i]))
                                throw $TypeError(".canal.ir.v1.ObjectType.fields: object expected");
                            message.fields[i] = $root.canal.ir.v1.Field.fromObject(object.fields[i], _depth + 1);
                        }
                    }
                    if (object.schemaName != null)
                        if (typeof object.schemaName !== "string" || object.schemaName.length)
                            message.schemaName = $String(object.schemaName);
                    return message;
                };

                ObjectType.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.arrays || options.defaults)
                        object.fields = [];
                    if (options.defaults)
                        object.schemaName = "";
                    if (message.fields && message.fields.length) {
                        object.fields = $Array(message.fields.length);
                        for (let j = 0; j < message.fields.length; ++j)
                            object.fields[j] = $root.canal.ir.v1.Field.toObject(message.fields[j], options, _depth + 1);
                    }
                    if (message.schemaName != null && $Object.hasOwnProperty.call(message, "schemaName"))
                        object.schemaName = message.schemaName;
                    return object;
                };

                ObjectType.prototype.toJSON = function() {
                    return ObjectType.toObject(this, $protobuf.util.toJSONOptions);
                };

                return ObjectType;
            })();

            v1.Field = (function() {

                const Field = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                Field.prototype.name = "";
                Field.prototype.type = null;
                Field.prototype.optional = false;

                Field.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(10).string(message.name);
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type"))
                        $root.canal.ir.v1.Type.encode(message.type, writer.uint32(18).fork(), _depth + 1).ldelim();
                    if (message.optional != null && $Object.hasOwnProperty.call(message, "optional") && message.optional !== false)
                        writer.uint32(24).bool(message.optional);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                Field.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        if (!$util.isString(message.name))
                            return "name: string expected";
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type")) {
                        let error = $root.canal.ir.v1.Type.verify(message.type, _depth + 1);
                        if (error)
                            return "type." + error;
                    }
                    if (message.optional != null && $Object.hasOwnProperty.call(message, "optional"))
                        if (typeof message.optional !== "boolean")
                            return "optional: boolean expected";
                    return null;
                };

                Field.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.Field)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.Field: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.Field();
                    if (object.name != null)
                        if (typeof object.name !== "string" || object.name.length)
                            message.name = $String(object.name);
                    if (object.type != null) {
                        if (!$util.isObject(object.type))
                            throw $TypeError(".canal.ir.v1.Field.type: object expected");
                        message.type = $root.canal.ir.v1.Type.fromObject(object.type, _depth + 1);
                    }
                    if (object.optional != null)
                        if (object.optional)
                            message.optional = $Boolean(object.optional);
                    return message;
                };

                Field.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.name = "";
                        object.type = null;
                        object.optional = false;
                    }
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        object.name = message.name;
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type"))
                        object.type = $root.canal.ir.v1.Type.toObject(message.type, options, _depth + 1);
                    if (message.optional != null && $Object.hasOwnProperty.call(message, "optional"))
                        object.optional = message.optional;
                    return object;
                };

                Field.prototype.toJSON = function() {
                    return Field.toObject(this, $protobuf.util.toJSONOptions);
                };

                return Field;
            })();

            v1.Parameter = (function() {

                const Parameter = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                Parameter.prototype.name = "";
                Parameter.prototype.type = null;
                Parameter.prototype.hasDefault = false;
                Parameter.prototype.defaultJson = "";
                Parameter.prototype.defaultArtifact = null;
                Parameter.prototype.description = "";
                Parameter.prototype.location = null;
                Parameter.prototype.defaultData = null;

                Parameter.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(10).string(message.name);
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type"))
                        $root.canal.ir.v1.Type.encode(message.type, writer.uint32(18).fork(), _depth + 1).ldelim();
                    if (message.hasDefault != null && $Object.hasOwnProperty.call(message, "hasDefault") && message.hasDefault !== false)
                        writer.uint32(24).bool(message.hasDefault);
                    if (message.defaultJson != null && $Object.hasOwnProperty.call(message, "defaultJson") && message.defaultJson !== "")
                        writer.uint32(34).string(message.defaultJson);
                    if (message.defaultArtifact != null && $Object.hasOwnProperty.call(message, "defaultArtifact"))
                        $root.canal.ir.v1.DatasetRef.encode(message.defaultArtifact, writer.uint32(42).fork(), _depth + 1).ldelim();
                    if (message.description != null && $Object.hasOwnProperty.call(message, "description") && message.description !== "")
                        writer.uint32(50).string(message.description);
                    if (message.location != null && $Object.hasOwnProperty.call(message, "location"))
                        $root.canal.ir.v1.SourceLocation.encode(message.location, writer.uint32(58).fork(), _depth + 1).ldelim();
                    if (message.defaultData != null && $Object.hasOwnProperty.call(message, "defaultData"))
                        $root.canal.ir.v1.DataRef.encode(message.defaultData, writer.uint32(66).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                Parameter.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        if (!$util.isString(message.name))
                            return "name: string expected";
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type")) {
                        let error = $root.canal.ir.v1.Type.verify(message.type, _depth + 1);
                        if (error)
                            return "type." + error;
                    }
                    if (message.hasDefault != null && $Object.hasOwnProperty.call(message, "hasDefault"))
                        if (typeof message.hasDefault !== "boolean")
                            return "hasDefault: boolean expected";
                    if (message.defaultJson != null && $Object.hasOwnProperty.call(message, "defaultJson"))
                        if (!$util.isString(message.defaultJson))
                            return "defaultJson: string expected";
                    if (message.defaultArtifact != null && $Object.hasOwnProperty.call(message, "defaultArtifact")) {
                        let error = $root.canal.ir.v1.DatasetRef.verify(message.defaultArtifact, _depth + 1);
                        if (error)
                            return "defaultArtifact." + error;
                    }
                    if (message.description != null && $Object.hasOwnProperty.call(message, "description"))
                        if (!$util.isString(message.description))
                            return "description: string expected";
                    if (message.location != null && $Object.hasOwnProperty.call(message, "location")) {
                        let error = $root.canal.ir.v1.SourceLocation.verify(message.location, _depth + 1);
                        if (error)
                            return "location." + error;
                    }
                    if (message.defaultData != null && $Object.hasOwnProperty.call(message, "defaultData")) {
                        let error = $root.canal.ir.v1.DataRef.verify(message.defaultData, _depth + 1);
                        if (error)
                            return "defaultData." + error;
                    }
                    return null;
                };

                Parameter.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.Parameter)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.Parameter: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.Parameter();
                    if (object.name != null)
                        if (typeof object.name !== "string" || object.name.length)
                            message.name = $String(object.name);
                    if (object.type != null) {
                        if (!$util.isObject(object.type))
                            throw $TypeError(".canal.ir.v1.Parameter.type: object expected");
                        message.type = $root.canal.ir.v1.Type.fromObject(object.type, _depth + 1);
                    }
                    if (object.hasDefault != null)
                        if (object.hasDefault)
                            message.hasDefault = $Boolean(object.hasDefault);
                    if (object.defaultJson != null)
                        if (typeof object.defaultJson !== "string" || object.defaultJson.length)
                            message.defaultJson = $String(object.defaultJson);
                    if (object.defaultArtifact != null) {
                        if (!$util.isObject(object.defaultArtifact))
                            throw $TypeError(".canal.ir.v1.Parameter.defaultArtifact: object expected");
                        message.defaultArtifact = $root.canal.ir.v1.DatasetRef.fromObject(object.defaultArtifact, _depth + 1);
                    }
                    if (object.description != null)
                        if (typeof object.description !== "string" || object.description.length)
                            message.description = $String(object.description);
                    if (object.location != null) {
                        if (!$util.isObject(object.location))
                            throw $TypeError(".canal.ir.v1.Parameter.location: object expected");
                        message.location = $root.canal.ir.v1.SourceLocation.fromObject(object.location, _depth + 1);
                    }
                    if (object.defaultData != null) {
                        if (!$util.isObject(object.defaultData))
                            throw $TypeError(".canal.ir.v1.Parameter.defaultData: object expected");
                        message.defaultData = $root.canal.ir.v1.DataRef.fromObject(object.defaultData, _depth + 1);
                    }
                    return message;
                };

                Parameter.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.name = "";
                        object.type = null;
                        object.hasDefault = false;
                        object.defaultJson = "";
                        object.defaultArtifact = null;
                        object.description = "";
                        object.location = null;
                        object.defaultData = null;
                    }
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        object.name = message.name;
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type"))
                        object.type = $root.canal.ir.v1.Type.toObject(message.type, options, _depth + 1);
                    if (message.hasDefault != null && $Object.hasOwnProperty.call(message, "hasDefault"))
                        object.hasDefault = message.hasDefault;
                    if (message.defaultJson != null && $Object.hasOwnProperty.call(message, "defaultJson"))
                        object.defaultJson = message.defaultJson;
                    if (message.defaultArtifact != null && $Object.hasOwnProperty.call(message, "defaultArtifact"))
                        object.defaultArtifact = $root.canal.ir.v1.DatasetRef.toObject(message.defaultArtifact, options, _depth + 1);
                    if (message.description != null && $Object.hasOwnProperty.call(message, "description"))
                        object.description = message.description;
                    if (message.location != null && $Object.hasOwnProperty.call(message, "location"))
                        object.location = $root.canal.ir.v1.SourceLocation.toObject(message.location, options, _depth + 1);
                    if (message.defaultData != null && $Object.hasOwnProperty.call(message, "defaultData"))
                        object.defaultData = $root.canal.ir.v1.DataRef.toObject(message.defaultData, options, _depth + 1);
                    return object;
                };

                Parameter.prototype.toJSON = function() {
                    return Parameter.toObject(this, $protobuf.util.toJSONOptions);
                };

                return Parameter;
            })();

            v1.DataRef = (function() {

                const DataRef = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                DataRef.prototype.dataset = "";
                DataRef.prototype.version = 0;
                DataRef.prototype.datastore = "";
                DataRef.prototype.path = "";
                DataRef.prototype.access = "";

                DataRef.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.dataset != null && $Object.hasOwnProperty.call(message, "dataset") && message.dataset !== "")
                        writer.uint32(10).string(message.dataset);
                    if (message.version != null && $Object.hasOwnProperty.call(message, "version") && message.version !== 0)
                        writer.uint32(16).uint32(message.version);
                    if (message.datastore != null && $Object.hasOwnProperty.call(message, "datastore") && message.datastore !== "")
                        writer.uint32(26).string(message.datastore);
                    if (message.path != null && $Object.hasOwnProperty.call(message, "path") && message.path !== "")
                        writer.uint32(34).string(message.path);
                    if (message.access != null && $Object.hasOwnProperty.call(message, "access") && message.access !== "")
                        writer.uint32(42).string(message.access);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                DataRef.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.dataset != null && $Object.hasOwnProperty.call(message, "dataset"))
                        if (!$util.isString(message.dataset))
                            return "dataset: string expected";
                    if (message.version != null && $Object.hasOwnProperty.call(message, "version"))
                        if (!$util.isInteger(message.version))
                            return "version: integer expected";
                    if (message.datastore != null && $Object.hasOwnProperty.call(message, "datastore"))
                        if (!$util.isString(message.datastore))
                            return "datastore: string expected";
                    if (message.path != null && $Object.hasOwnProperty.call(message, "path"))
                        if (!$util.isString(message.path))
                            return "path: string expected";
                    if (message.access != null && $Object.hasOwnProperty.call(message, "access"))
                        if (!$util.isString(message.access))
                            return "access: string expected";
                    return null;
                };

                DataRef.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.DataRef)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.DataRef: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.DataRef();
                    if (object.dataset != null)
                        if (typeof object.dataset !== "string" || object.dataset.length)
                            message.dataset = $String(object.dataset);
                    if (object.version != null)
                        if ($Number(object.version) !== 0)
                            message.version = object.version >>> 0;
                    if (object.datastore != null)
                        if (typeof object.datastore !== "string" || object.datastore.length)
                            message.datastore = $String(object.datastore);
                    if (object.path != null)
                        if (typeof object.path !== "string" || object.path.length)
                            message.path = $String(object.path);
                    if (object.access != null)
                        if (typeof object.access !== "string" || object.access.length)
                            message.access = $String(object.access);
                    return message;
                };

                DataRef.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.dataset = "";
                        object.version = 0;
                        object.datastore = "";
                        object.path = "";
                        object.access = "";
                    }
                    if (message.dataset != null && $Object.hasOwnProperty.call(message, "dataset"))
                        object.dataset = message.dataset;
                    if (message.version != null && $Object.hasOwnProperty.call(message, "version"))
                        object.version = message.version;
                    if (message.datastore != null && $Object.hasOwnProperty.call(message, "datastore"))
                        object.datastore = message.datastore;
                    if (message.path != null && $Object.hasOwnProperty.call(message, "path"))
                        object.path = message.path;
                    if (message.access != null && $Object.hasOwnProperty.call(message, "access"))
                        object.access = message.access;
                    return object;
                };

                DataRef.prototype.toJSON = function() {
                    return DataRef.toObject(this, $protobuf.util.toJSONOptions);
                };

                return DataRef;
            })();

            v1.DatasetRef = (function() {

                const DatasetRef = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                DatasetRef.prototype.path = "";
                DatasetRef.prototype.blob = "";
                DatasetRef.prototype.directory = false;
                DatasetRef.prototype.name = "";

                DatasetRef.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.path != null && $Object.hasOwnProperty.call(message, "path") && message.path !== "")
                        writer.uint32(10).string(message.path);
                    if (message.blob != null && $Object.hasOwnProperty.call(message, "blob") && message.blob !== "")
                        writer.uint32(18).string(message.blob);
                    if (message.directory != null && $Object.hasOwnProperty.call(message, "directory") && message.directory !== false)
                        writer.uint32(24).bool(message.directory);
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(34).string(message.name);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                DatasetRef.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.path != null && $Object.hasOwnProperty.call(message, "path"))
                        if (!$util.isString(message.path))
                            return "path: string expected";
                    if (message.blob != null && $Object.hasOwnProperty.call(message, "blob"))
                        if (!$util.isString(message.blob))
                            return "blob: string expected";
                    if (message.directory != null && $Object.hasOwnProperty.call(message, "directory"))
                        if (typeof message.directory !== "boolean")
                            return "directory: boolean expected";
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        if (!$util.isString(message.name))
                            return "name: string expected";
                    return null;
                };

                DatasetRef.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.DatasetRef)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.DatasetRef: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.DatasetRef();
                    if (object.path != null)
                        if (typeof object.path !== "string" || object.path.length)
                            message.path = $String(object.path);
                    if (object.blob != null)
                        if (typeof object.blob !== "string" || object.blob.length)
                            message.blob = $String(object.blob);
                    if (object.directory != null)
                        if (object.directory)
                            message.directory = $Boolean(object.directory);
                    if (object.name != null)
                        if (typeof object.name !== "string" || object.name.length)
                            message.name = $String(object.name);
                    return message;
                };

                DatasetRef.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.path = "";
                        object.blob = "";
                        object.directory = false;
                        object.name = "";
                    }
                    if (message.path != null && $Object.hasOwnProperty.call(message, "path"))
                        object.path = message.path;
                    if (message.blob != null && $Object.hasOwnProperty.call(message, "blob"))
                        object.blob = message.blob;
                    if (message.directory != null && $Object.hasOwnProperty.call(message, "directory"))
                        object.directory = message.directory;
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        object.name = message.name;
                    return object;
                };

                DatasetRef.prototype.toJSON = function() {
                    return DatasetRef.toObject(this, $protobuf.util.toJSONOptions);
                };

                return DatasetRef;
            })();

            v1.StepKind = (function() {
                const valuesById = $Object.create(null), values = $Object.create(valuesById);
                values[valuesById[0] = "STEP_KIND_UNSPECIFIED"] = 0;
                values[valuesById[1] = "TYPESCRIPT"] = 1;
                values[valuesById[2] = "SCRIPT"] = 2;
                return values;
            })();

            v1.Step = (function() {

                const Step = function (properties) {
                    this.inputs = [];
                    this.outputs = [];
                    this.conditions = [];
                    this.after = [];
                    this.codeFiles = [];
                    this.passEnv = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                Step.prototype.id = "";
                Step.prototype.name = "";
                Step.prototype.kind = 0;
                Step.prototype.code = null;
                Step.prototype.script = null;
                Step.prototype.inputs = $util.emptyArray;
                Step.prototype.outputs = $util.emptyArray;
                Step.prototype.environment = "";
                Step.prototype.resources = null;
                Step.prototype.retry = null;
                Step.prototype.timeoutMs = 0;
                Step.prototype.cache = null;
                Step.prototype.compute = "";
                Step.prototype.fanOut = "";
                Step.prototype.conditions = $util.emptyArray;
                Step.prototype.after = $util.emptyArray;
                Step.prototype.location = null;
                Step.prototype.codeHash = "";
                Step.prototype.codeFiles = $util.emptyArray;
                Step.prototype.hash = "";
                Step.prototype.description = "";
                Step.prototype.template = "";
                Step.prototype.passEnv = $util.emptyArray;

                Step.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.id != null && $Object.hasOwnProperty.call(message, "id") && message.id !== "")
                        writer.uint32(10).string(message.id);
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(18).string(message.name);
                    if (message.kind != null && $Object.hasOwnProperty.call(message, "kind") && message.kind !== 0)
                        writer.uint32(24).int32(message.kind);
                    if (message.code != null && $Object.hasOwnProperty.call(message, "code"))
                        $root.canal.ir.v1.CodeRef.encode(message.code, writer.uint32(34).fork(), _depth + 1).ldelim();
                    if (message.script != null && $Object.hasOwnProperty.call(message, "script"))
                        $root.canal.ir.v1.ScriptSpec.encode(message.script, writer.uint32(42).fork(), _depth + 1).ldelim();
                    if (message.inputs != null && message.inputs.length)
                        for (let i = 0; i < message.inputs.length; ++i)
                            $root.canal.ir.v1.Input.encode(message.inputs[i], writer.uint32(50).fork(), _depth + 1).ldelim();
                    if (message.outputs != null && message.outputs.length)
                        for (let i = 0; i < message.outputs.length; ++i)
                            $root.canal.ir.v1.Output.encode(message.outputs[i], writer.uint32(58).fork(), _depth + 1).ldelim();
                    if (message.environment != null && $Object.hasOwnProperty.call(message, "environment") && message.environment !== "")
                        writer.uint32(66).string(message.environment);
                    if (message.resources != null && $Object.hasOwnProperty.call(message, "resources"))
                        $root.canal.ir.v1.Resources.encode(message.resources, writer.uint32(74).fork(), _depth + 1).ldelim();
                    if (message.retry != null && $Object.hasOwnProperty.call(message, "retry"))
                        $root.canal.ir.v1.RetryPolicy.encode(message.retry, writer.uint32(82).fork(), _depth + 1).ldelim();
                    if (message.timeoutMs != null && $Object.hasOwnProperty.call(message, "timeoutMs") && !$Object.is(message.timeoutMs, 0))
                        writer.uint32(89).double(message.timeoutMs);
                    if (message.cache != null && $Object.hasOwnProperty.call(message, "cache"))
                        $root.canal.ir.v1.CachePolicy.encode(message.cache, writer.uint32(98).fork(), _depth + 1).ldelim();
                    if (message.compute != null && $Object.hasOwnProperty.call(message, "compute") && message.compute !== "")
                        writer.uint32(106).string(message.compute);
                    if (message.fanOut != null && $Object.hasOwnProperty.call(message, "fanOut") && message.fanOut !== "")
                        writer.uint32(114).string(message.fanOut);
                    if (message.conditions != null && message.conditions.length)
                        for (let i = 0; i < message.conditions.length; ++i)
                            $root.canal.ir.v1.Condition.encode(message.conditions[i], writer.uint32(122).fork(), _depth + 1).ldelim();
                    if (message.after != null && message.after.length)
                        for (let i = 0; i < message.after.length; ++i)
                            writer.uint32(130).string(message.after[i]);
                    if (message.location != null && $Object.hasOwnProperty.call(message, "location"))
                        $root.canal.ir.v1.SourceLocation.encode(message.location, writer.uint32(138).fork(), _depth + 1).ldelim();
                    if (message.codeHash != null && $Object.hasOwnProperty.call(message, "codeHash") && message.codeHash !== "")
                        writer.uint32(146).string(message.codeHash);
                    if (message.codeFiles != null && message.codeFiles.length)
                        for (let i = 0; i < message.codeFiles.length; ++i)
                            $root.canal.ir.v1.HashedFile.encode(message.codeFiles[i], writer.uint32(154).fork(), _depth + 1).ldelim();
                    if (message.hash != null && $Object.hasOwnProperty.call(message, "hash") && message.hash !== "")
                        writer.uint32(162).string(message.hash);
                    if (message.description != null && $Object.hasOwnProperty.call(message, "description") && message.description !== "")
                        writer.uint32(170).string(message.description);
                    if (message.template != null && $Object.hasOwnProperty.call(message, "template") && message.template !== "")
                        writer.uint32(178).string(message.template);
                    if (message.passEnv != null && message.passEnv.length)
                        for (let i = 0; i < message.passEnv.length; ++i)
                            writer.uint32(186).string(message.passEnv[i]);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                Step.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.id != null && $Object.hasOwnProperty.call(message, "id"))
                        if (!$util.isString(message.id))
                            return "id: string expected";
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        if (!$util.isString(message.name))
                            return "name: string expected";
                    if (message.kind != null && $Object.hasOwnProperty.call(message, "kind"))
                        if (typeof message.kind !== "number" || (message.kind | 0) !== message.kind)
                            return "kind: enum value expected";
                    if (message.code != null && $Object.hasOwnProperty.call(message, "code")) {
                        let error = $root.canal.ir.v1.CodeRef.verify(message.code, _depth + 1);
                        if (error)
                            return "code." + error;
                    }
                    if (message.script != null && $Object.hasOwnProperty.call(message, "script")) {
                        let error = $root.canal.ir.v1.ScriptSpec.verify(message.script, _depth + 1);
                        if (error)
                            return "script." + error;
                    }
                    if (message.inputs != null && $Object.hasOwnProperty.call(message, "inputs")) {
                        if (!$Array.isArray(message.inputs))
                            return "inputs: array expected";
                        for (let i = 0; i < message.inputs.length; ++i) {
                            let error = $root.canal.ir.v1.Input.verify(message.inputs[i], _depth + 1);
                            if (error)
                                return "inputs." + error;
                        }
                    }
                    if (message.outputs != null && $Object.hasOwnProperty.call(message, "outputs")) {
                        if (!$Array.isArray(message.outputs))
                            return "outputs: array expected";
                        for (let i = 0; i < message.outputs.length; ++i) {
                            let error = $root.canal.ir.v1.Output.verify(message.outputs[i], _depth + 1);
                            if (error)
                                return "outputs." + error;
                        }
                    }
                    if (message.environment != null && $Object.hasOwnProperty.call(message, "environment"))
                        if (!$util.isString(message.environment))
                            return "environment: string expected";
                    if (message.resources != null && $Object.hasOwnProperty.call(message, "resources")) {
                        let error = $root.canal.ir.v1.Resources.verify(message.resources, _depth + 1);
                        if (error)
                            return "resources." + error;
                    }
                    if (message.retry != null && $Object.hasOwnProperty.call(message, "retry")) {
                        let error = $root.canal.ir.v1.RetryPolicy.verify(message.retry, _depth + 1);
                        if (error)
                            return "retry." + error;
                    }
                    if (message.timeoutMs != null && $Object.hasOwnProperty.call(message, "timeoutMs"))
                        if (typeof message.timeoutMs !== "number")
                            return "timeoutMs: number expected";
                    if (message.cache != null && $Object.hasOwnProperty.call(message, "cache")) {
                        let error = $root.canal.ir.v1.CachePolicy.verify(message.cache, _depth + 1);
                        if (error)
                            return "cache." + error;
                    }
                    if (message.compute != null && $Object.hasOwnProperty.call(message, "compute"))
                        if (!$util.isString(message.compute))
                            return "compute: string expected";
                    if (message.fanOut != null && $Object.hasOwnProperty.call(message, "fanOut"))
                        if (!$util.isString(message.fanOut))
                            return "fanOut: string expected";
                    if (message.conditions != null && $Object.hasOwnProperty.call(message, "conditions")) {
                        if (!$Array.isArray(message.conditions))
                            return "conditions: array expected";
                        for (let i = 0; i < message.conditions.length; ++i) {
                            let error = $root.canal.ir.v1.Condition.verify(message.conditions[i], _depth + 1);
                            if (error)
                                return "conditions." + error;
                        }
                    }
                    if (message.after != null && $Object.hasOwnProperty.call(message, "after")) {
                        if (!$Array.isArray(message.after))
                            return "after: array expected";
                        for (let i = 0; i < message.after.length; ++i)
                            if (!$util.isString(message.after[i]))
                                return "after: string[] expected";
                    }
                    if (message.location != null && $Object.hasOwnProperty.call(message, "location")) {
                        let error = $root.canal.ir.v1.SourceLocation.verify(message.location, _depth + 1);
                        if (error)
                            return "location." + error;
                    }
                    if (message.codeHash != null && $Object.hasOwnProperty.call(message, "codeHash"))
                        if (!$util.isString(message.codeHash))
                            return "codeHash: string expected";
                    if (message.codeFiles != null && $Object.hasOwnProperty.call(message, "codeFiles")) {
                        if (!$Array.isArray(message.codeFiles))
                            return "codeFiles: array expected";
                        for (let i = 0; i < message.codeFiles.length; ++i) {
                            let error = $root.canal.ir.v1.HashedFile.verify(message.codeFiles[i], _depth + 1);
                            if (error)
                                return "codeFiles." + error;
                        }
                    }
                    if (message.hash != null && $Object.hasOwnProperty.call(message, "hash"))
                        if (!$util.isString(message.hash))
                            return "hash: string expected";
                    if (message.description != null && $Object.hasOwnProperty.call(message, "description"))
                        if (!$util.isString(message.description))
                            return "description: string expected";
                    if (message.template != null && $Object.hasOwnProperty.call(message, "template"))
                        if (!$util.isString(message.template))
                            return "template: string expected";
                    if (message.passEnv != null && $Object.hasOwnProperty.call(message, "passEnv")) {
                        if (!$Array.isArray(message.passEnv))
                            return "passEnv: array expected";
                        for (let i = 0; i < message.passEnv.length; ++i)
                            if (!$util.isString(message.passEnv[i]))
                                return "passEnv: string[] expected";
                    }
                    return null;
                };

                Step.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.Step)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.Step: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.Step();
                    if (object.id != null)
                        if (typeof object.id !== "string" || object.id.length)
                            message.id = $String(object.id);
                    if (object.name != null)
                        if (typeof object.name !== "string" || object.name.length)
                            message.name = $String(object.name);
                    if (object.kind !== 0 && (typeof object.kind !== "string" || $root.canal.ir.v1.StepKind[object.kind] !== 0))
                        switch (object.kind) {
                        case "STEP_KIND_UNSPECIFIED":
                        case 0:
                            message.kind = 0;
                            break;
                        case "TYPESCRIPT":
                        case 1:
                            message.kind = 1;
                            break;
                        case "SCRIPT":
                        case 2:
                            message.kind = 2;
                            break;
                        default:
                            if (typeof object.kind === "number" && (object.kind | 0) === object.kind)
                                message.kind = object.kind;
                        }
                    if (object.code != null) {
                        if (!$util.isObject(object.code))
                            throw $TypeError(".canal.ir.v1.Step.code: object expected");
                        message.code = $root.canal.ir.v1.CodeRef.fromObject(object.code, _depth + 1);
                    }
                    if (object.script != null) {
                        if (!$util.isObject(object.script))
                            throw $TypeError(".canal.ir.v1.Step.script: object expected");
                        message.script = $root.canal.ir.v1.ScriptSpec.fromObject(object.script, _depth + 1);
                    }
                    if (object.inputs) {
                        if (!$Array.isArray(object.inputs))
                            throw $TypeError(".canal.ir.v1.Step.inputs: array expected");
                        message.inputs = $Array(object.inputs.length);
                        for (let i = 0; i < object.inputs.length; ++i) {
                            if (!$util.isObject(object.inputs[i]))
                                throw $TypeError(".canal.ir.v1.Step.inputs: object expected");
                            message.inputs[i] = $root.canal.ir.v1.Input.fromObject(object.inputs[i], _depth + 1);
                        }
                    }
                    if (object.outputs) {
                        if (!$Array.isArray(object.outputs))
                            throw $TypeError(".canal.ir.v1.Step.outputs: array expected");
                        message.outputs = $Array(object.outputs.length);
                        for (let i = 0; i < object.outputs.length; ++i) {
                            if (!$util.isObject(object.outputs[i]))
                                throw $TypeError(".canal.ir.v1.Step.outputs: object expected");
                            message.outputs[i] = $root.canal.ir.v1.Output.fromObject(object.outputs[i], _depth + 1);
                        }
                    }
                    if (object.environment != null)
                        if (typeof object.environment !== "string" || object.environment.length)
                            message.environment = $String(object.environment);
                    if (object.resources != null) {
                        if (!$util.isObject(object.resources))
                            throw $TypeError(".canal.ir.v1.Step.resources: object expected");
                        message.resources = $root.canal.ir.v1.Resources.fromObject(object.resources, _depth + 1);
                    }
                    if (object.retry != null) {
                        if (!$util.isObject(object.retry))
                            throw $TypeError(".canal.ir.v1.Step.retry: object expected");
                        message.retry = $root.canal.ir.v1.RetryPolicy.fromObject(object.retry, _depth + 1);
                    }
                    if (object.timeoutMs != null)
                        if (!$Object.is($Number(object.timeoutMs), 0))
                            message.timeoutMs = $Number(object.timeoutMs);
                    if (object.cache != null) {
                        if (!$util.isObject(object.cache))
                            throw $TypeError(".canal.ir.v1.Step.cache: object expected");
                        message.cache = $root.canal.ir.v1.CachePolicy.fromObject(object.cache, _depth + 1);
                    }
                    if (object.compute != null)
                        if (typeof object.compute !== "string" || object.compute.length)
                            message.compute = $String(object.compute);
                    if (object.fanOut != null)
                        if (typeof object.fanOut !== "string" || object.fanOut.length)
                            message.fanOut = $String(object.fanOut);
                    if (object.conditions) {
                        if (!$Array.isArray(object.conditions))
                            throw $TypeError(".canal.ir.v1.Step.conditions: array expected");
                        message.conditions = $Array(object.conditions.length);
                        for (let i = 0; i < object.conditions.length; ++i) {
                            if (!$util.isObject(object.conditions[i]))
                                throw $TypeError(".canal.ir.v1.Step.conditions: object expected");
                            message.conditions[i] = $root.canal.ir.v1.Condition.fromObject(object.conditions[i], _depth + 1);
                        }
                    }
                    if (object.after) {
                        if (!$Array.isArray(object.after))
                            throw $TypeError(".canal.ir.v1.Step.after: array expected");
                        message.after = $Array(object.after.length);
                        for (let i = 0; i < object.after.length; ++i)
                            message.after[i] = $String(object.after[i]);
                    }
                    if (object.location != null) {
                        if (!$util.isObject(object.location))
                            throw $TypeError(".canal.ir.v1.Step.location: object expected");
                        message.location = $root.canal.ir.v1.SourceLocation.fromObject(object.location, _depth + 1);
                    }
                    if (object.codeHash != null)
                        if (typeof object.codeHash !== "string" || object.codeHash.length)
                            message.codeHash = $String(object.codeHash);
                    if (object.codeFiles) {
                        if (!$Array.isArray(object.codeFiles))
                            throw $TypeError(".canal.ir.v1.Step.codeFiles: array expected");
                        message.codeFiles = $Array(object.codeFiles.length);
                        for (let i = 0; i < object.codeFiles.length; ++i) {
                            if (!$util.isObject(object.codeFiles[i]))
                                throw $TypeError(".canal.ir.v1.Step.codeFiles: object expected");
                            message.codeFiles[i] = $root.canal.ir.v1.HashedFile.fromObject(object.codeFiles[i], _depth + 1);
                        }
                    }
                    if (object.hash != null)
                        if (typeof object.hash !== "string" || object.hash.length)
                            message.hash = $String(object.hash);
                    if (object.description != null)
                        if (typeof object.description !== "string" || object.description.length)
                            message.description = $String(object.description);
                    if (object.template != null)
                        if (typeof object.template !== "string" || object.template.length)
                            message.template = $String(object.template);
                    if (object.passEnv) {
                        if (!$Array.isArray(object.passEnv))
                            throw $TypeError(".canal.ir.v1.Step.passEnv: array expected");
                        message.passEnv = $Array(object.passEnv.length);
                        for (let i = 0; i < object.passEnv.length; ++i)
                            message.passEnv[i] = $String(object.passEnv[i]);
                    }
                    return message;
                };

                Step.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.arrays || options.defaults) {
                        object.inputs = [];
                        object.outputs = [];
                        object.conditions = [];
                        object.after = [];
                        object.codeFiles = [];
                        object.passEnv = [];
                    }
                    if (options.defaults) {
                        object.id = "";
                        object.name = "";
                        object.kind = options.enums === $String ? "STEP_KIND_UNSPECIFIED" : 0;
                        object.code = null;
                        object.script = null;
                        object.environment = "";
                        object.resources = null;
                        object.retry = null;
                        object.timeoutMs = 0;
                        object.cache = null;
                        object.compute = "";
                        object.fanOut = "";
                        object.location = null;
                        object.codeHash = "";
                        object.hash = "";
                        object.description = "";
                        object.template = "";
                    }
                    if (message.id != null && $Object.hasOwnProperty.call(message, "id"))
                        object.id = message.id;
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        object.name = message.name;
                    if (message.kind != null && $Object.hasOwnProperty.call(message, "kind"))
                        object.kind = options.enums === $String ? $root.canal.ir.v1.StepKind[message.kind] === $undefined ? message.kind : $root.canal.ir.v1.StepKind[message.kind] : message.kind;
                    if (message.code != null && $Object.hasOwnProperty.call(message, "code"))
                        object.code = $root.canal.ir.v1.CodeRef.toObject(message.code, options, _depth + 1);
                    if (message.script != null && $Object.hasOwnProperty.call(message, "script"))
                        object.script = $root.canal.ir.v1.ScriptSpec.toObject(message.script, options, _depth + 1);
                    if (message.inputs && message.inputs.length) {
                        object.inputs = $Array(message.inputs.length);
                        for (let j = 0; j < message.inputs.length; ++j)
                            object.inputs[j] = $root.canal.ir.v1.Input.toObject(message.inputs[j], options, _depth + 1);
                    }
                    if (message.outputs && message.outputs.length) {
                        object.outputs = $Array(message.outputs.length);
                        for (let j = 0; j < message.outputs.length; ++j)
                            object.outputs[j] = $root.canal.ir.v1.Output.toObject(message.outputs[j], options, _depth + 1);
                    }
                    if (message.environment != null && $Object.hasOwnProperty.call(message, "environment"))
                        object.environment = message.environment;
                    if (message.resources != null && $Object.hasOwnProperty.call(message, "resources"))
                        object.resources = $root.canal.ir.v1.Resources.toObject(message.resources, options, _depth + 1);
                    if (message.retry != null && $Object.hasOwnProperty.call(message, "retry"))
                        object.retry = $root.canal.ir.v1.RetryPolicy.toObject(message.retry, options, _depth + 1);
                    if (message.timeoutMs != null && $Object.hasOwnProperty.call(message, "timeoutMs"))
                        object.timeoutMs = options.json && !$isFinite(message.timeoutMs) ? $String(message.timeoutMs) : message.timeoutMs;
                    if (message.cache != null && $Object.hasOwnProperty.call(message, "cache"))
                        object.cache = $root.canal.ir.v1.CachePolicy.toObject(message.cache, options, _depth + 1);
                    if (message.compute != null && $Object.hasOwnProperty.call(message, "compute"))
                        object.compute = message.compute;
                    if (message.fanOut != null && $Object.hasOwnProperty.call(message, "fanOut"))
                        object.fanOut = message.fanOut;
                    if (message.conditions && message.conditions.length) {
                        object.conditions = $Array(message.conditions.length);
                        for (let j = 0; j < message.conditions.length; ++j)
                            object.conditions[j] = $root.canal.ir.v1.Condition.toObject(message.conditions[j], options, _depth + 1);
                    }
                    if (message.after && message.after.length) {
                        object.after = $Array(message.after.length);
                        for (let j = 0; j < message.after.length; ++j)
                            object.after[j] = message.after[j];
                    }
                    if (message.location != null && $Object.hasOwnProperty.call(message, "location"))
                        object.location = $root.canal.ir.v1.SourceLocation.toObject(message.location, options, _depth + 1);
                    if (message.codeHash != null && $Object.hasOwnProperty.call(message, "codeHash"))
                        object.codeHash = message.codeHash;
                    if (message.codeFiles && message.codeFiles.length) {
                        object.codeFiles = $Array(message.codeFiles.length);
                        for (let j = 0; j < message.codeFiles.length; ++j)
                            object.codeFiles[j] = $root.canal.ir.v1.HashedFile.toObject(message.codeFiles[j], options, _depth + 1);
                    }
                    if (message.hash != null && $Object.hasOwnProperty.call(message, "hash"))
                        object.hash = message.hash;
                    if (message.description != null && $Object.hasOwnProperty.call(message, "description"))
                        object.description = message.description;
                    if (message.template != null && $Object.hasOwnProperty.call(message, "template"))
                        object.template = message.template;
                    if (message.passEnv && message.passEnv.length) {
                        object.passEnv = $Array(message.passEnv.length);
                        for (let j = 0; j < message.passEnv.length; ++j)
                            object.passEnv[j] = message.passEnv[j];
                    }
                    return object;
                };

                Step.prototype.toJSON = function() {
                    return Step.toObject(this, $protobuf.util.toJSONOptions);
                };

                return Step;
            })();

            v1.CodeRef = (function() {

                const CodeRef = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                CodeRef.prototype.bundle = "";
                CodeRef.prototype.exportName = "";
                CodeRef.prototype.member = "";

                CodeRef.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.bundle != null && $Object.hasOwnProperty.call(message, "bundle") && message.bundle !== "")
                        writer.uint32(10).string(message.bundle);
                    if (message.exportName != null && $Object.hasOwnProperty.call(message, "exportName") && message.exportName !== "")
                        writer.uint32(18).string(message.exportName);
                    if (message.member != null && $Object.hasOwnProperty.call(message, "member") && message.member !== "")
                        writer.uint32(26).string(message.member);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                CodeRef.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.bundle != null && $Object.hasOwnProperty.call(message, "bundle"))
                        if (!$util.isString(message.bundle))
                            return "bundle: string expected";
                    if (message.exportName != null && $Object.hasOwnProperty.call(message, "exportName"))
                        if (!$util.isString(message.exportName))
                            return "exportName: string expected";
                    if (message.member != null && $Object.hasOwnProperty.call(message, "member"))
                        if (!$util.isString(message.member))
                            return "member: string expected";
                    return null;
                };

                CodeRef.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.CodeRef)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.CodeRef: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.CodeRef();
                    if (object.bundle != null)
                        if (typeof object.bundle !== "string" || object.bundle.length)
                            message.bundle = $String(object.bundle);
                    if (object.exportName != null)
                        if (typeof object.exportName !== "string" || object.exportName.length)
                            message.exportName = $String(object.exportName);
                    if (object.member != null)
                        if (typeof object.member !== "string" || object.member.length)
                            message.member = $String(object.member);
                    return message;
                };

                CodeRef.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.bundle = "";
                        object.exportName = "";
                        object.member = "";
                    }
                    if (message.bundle != null && $Object.hasOwnProperty.call(message, "bundle"))
                        object.bundle = message.bundle;
                    if (message.exportName != null && $Object.hasOwnProperty.call(message, "exportName"))
                        object.exportName = message.exportName;
                    if (message.member != null && $Object.hasOwnProperty.call(message, "member"))
                        object.member = message.member;
                    return object;
                };

                CodeRef.prototype.toJSON = function() {
                    return CodeRef.toObject(this, $protobuf.util.toJSONOptions);
                };

                return CodeRef;
            })();

            v1.ScriptSpec = (function() {

                const ScriptSpec = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                ScriptSpec.prototype.snapshot = "";
                ScriptSpec.prototype.command = "";
                ScriptSpec.prototype.source = "";

                ScriptSpec.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.snapshot != null && $Object.hasOwnProperty.call(message, "snapshot") && message.snapshot !== "")
                        writer.uint32(10).string(message.snapshot);
                    if (message.command != null && $Object.hasOwnProperty.call(message, "command") && message.command !== "")
                        writer.uint32(18).string(message.command);
                    if (message.source != null && $Object.hasOwnProperty.call(message, "source") && message.source !== "")
                        writer.uint32(26).string(message.source);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                ScriptSpec.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.snapshot != null && $Object.hasOwnProperty.call(message, "snapshot"))
                        if (!$util.isString(message.snapshot))
                            return "snapshot: string expected";
                    if (message.command != null && $Object.hasOwnProperty.call(message, "command"))
                        if (!$util.isString(message.command))
                            return "command: string expected";
                    if (message.source != null && $Object.hasOwnProperty.call(message, "source"))
                        if (!$util.isString(message.source))
                            return "source: string expected";
                    return null;
                };

                ScriptSpec.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.ScriptSpec)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.ScriptSpec: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.ScriptSpec();
                    if (object.snapshot != null)
                        if (typeof object.snapshot !== "string" || object.snapshot.length)
                            message.snapshot = $String(object.snapshot);
                    if (object.command != null)
                        if (typeof object.command !== "string" || object.command.length)
                            message.command = $String(object.command);
                    if (object.source != null)
                        if (typeof object.source !== "string" || object.source.length)
                            message.source = $String(object.source);
                    return message;
                };

                ScriptSpec.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.snapshot = "";
                        object.command = "";
                        object.source = "";
                    }
                    if (message.snapshot != null && $Object.hasOwnProperty.call(message, "snapshot"))
                        object.snapshot = message.snapshot;
                    if (message.command != null && $Object.hasOwnProperty.call(message, "command"))
                        object.command = message.command;
                    if (message.source != null && $Object.hasOwnProperty.call(message, "source"))
                        object.source = message.source;
                    return object;
                };

                ScriptSpec.prototype.toJSON = function() {
                    return ScriptSpec.toObject(this, $protobuf.util.toJSONOptions);
                };

                return ScriptSpec;
            })();

            v1.Input = (function() {

                const Input = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                Input.prototype.name = "";
                Input.prototype.type = null;
                Input.prototype.binding = null;
                Input.prototype.optional = false;

                Input.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(10).string(message.name);
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type"))
                        $root.canal.ir.v1.Type.encode(message.type, writer.uint32(18).fork(), _depth + 1).ldelim();
                    if (message.binding != null && $Object.hasOwnProperty.call(message, "binding"))
                        $root.canal.ir.v1.Binding.encode(message.binding, writer.uint32(26).fork(), _depth + 1).ldelim();
                    if (message.optional != null && $Object.hasOwnProperty.call(message, "optional") && message.optional !== false)
                        writer.uint32(32).bool(message.optional);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                Input.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        if (!$util.isString(message.name))
                            return "name: string expected";
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type")) {
                        let error = $root.canal.ir.v1.Type.verify(message.type, _depth + 1);
                        if (error)
                            return "type." + error;
                    }
                    if (message.binding != null && $Object.hasOwnProperty.call(message, "binding")) {
                        let error = $root.canal.ir.v1.Binding.verify(message.binding, _depth + 1);
                        if (error)
                            return "binding." + error;
                    }
                    if (message.optional != null && $Object.hasOwnProperty.call(message, "optional"))
                        if (typeof message.optional !== "boolean")
                            return "optional: boolean expected";
                    return null;
                };

                Input.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.Input)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.Input: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.Input();
                    if (object.name != null)
                        if (typeof object.name !== "string" || object.name.length)
                            message.name = $String(object.name);
                    if (object.type != null) {
                        if (!$util.isObject(object.type))
                            throw $TypeError(".canal.ir.v1.Input.type: object expected");
                        message.type = $root.canal.ir.v1.Type.fromObject(object.type, _depth + 1);
                    }
                    if (object.binding != null) {
                        if (!$util.isObject(object.binding))
                            throw $TypeError(".canal.ir.v1.Input.binding: object expected");
                        message.binding = $root.canal.ir.v1.Binding.fromObject(object.binding, _depth + 1);
                    }
                    if (object.optional != null)
                        if (object.optional)
                            message.optional = $Boolean(object.optional);
                    return message;
                };

                Input.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.name = "";
                        object.type = null;
                        object.binding = null;
                        object.optional = false;
                    }
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        object.name = message.name;
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type"))
                        object.type = $root.canal.ir.v1.Type.toObject(message.type, options, _depth + 1);
                    if (message.binding != null && $Object.hasOwnProperty.call(message, "binding"))
                        object.binding = $root.canal.ir.v1.Binding.toObject(message.binding, options, _depth + 1);
                    if (message.optional != null && $Object.hasOwnProperty.call(message, "optional"))
                        object.optional = message.optional;
                    return object;
                };

                Input.prototype.toJSON = function() {
                    return Input.toObject(this, $protobuf.util.toJSONOptions);
                };

                return Input;
            })();

            v1.Output = (function() {

                const Output = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                Output.prototype.name = "";
                Output.prototype.type = null;

                Output.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(10).string(message.name);
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type"))
                        $root.canal.ir.v1.Type.encode(message.type, writer.uint32(18).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                Output.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        if (!$util.isString(message.name))
                            return "name: string expected";
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type")) {
                        let error = $root.canal.ir.v1.Type.verify(message.type, _depth + 1);
                        if (error)
                            return "type." + error;
                    }
                    return null;
                };

                Output.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.Output)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.Output: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.Output();
                    if (object.name != null)
                        if (typeof object.name !== "string" || object.name.length)
                            message.name = $String(object.name);
                    if (object.type != null) {
                        if (!$util.isObject(object.type))
                            throw $TypeError(".canal.ir.v1.Output.type: object expected");
                        message.type = $root.canal.ir.v1.Type.fromObject(object.type, _depth + 1);
                    }
                    return message;
                };

                Output.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.name = "";
                        object.type = null;
                    }
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        object.name = message.name;
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type"))
                        object.type = $root.canal.ir.v1.Type.toObject(message.type, options, _depth + 1);
                    return object;
                };

                Output.prototype.toJSON = function() {
                    return Output.toObject(this, $protobuf.util.toJSONOptions);
                };

                return Output;
            })();

            v1.OutputRef = (function() {

                const OutputRef = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                OutputRef.prototype.step = "";
                OutputRef.prototype.output = "";

                OutputRef.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.step != null && $Object.hasOwnProperty.call(message, "step") && message.step !== "")
                        writer.uint32(10).string(message.step);
                    if (message.output != null && $Object.hasOwnProperty.call(message, "output") && message.output !== "")
                        writer.uint32(18).string(message.output);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                OutputRef.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.step != null && $Object.hasOwnProperty.call(message, "step"))
                        if (!$util.isString(message.step))
                            return "step: string expected";
                    if (message.output != null && $Object.hasOwnProperty.call(message, "output"))
                        if (!$util.isString(message.output))
                            return "output: string expected";
                    return null;
                };

                OutputRef.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.OutputRef)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.OutputRef: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.OutputRef();
                    if (object.step != null)
                        if (typeof object.step !== "string" || object.step.length)
                            message.step = $String(object.step);
                    if (object.output != null)
                        if (typeof object.output !== "string" || object.output.length)
                            message.output = $String(object.output);
                    return message;
                };

                OutputRef.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.step = "";
                        object.output = "";
                    }
                    if (message.step != null && $Object.hasOwnProperty.call(message, "step"))
                        object.step = message.step;
                    if (message.output != null && $Object.hasOwnProperty.call(message, "output"))
                        object.output = message.output;
                    return object;
                };

                OutputRef.prototype.toJSON = function() {
                    return OutputRef.toObject(this, $protobuf.util.toJSONOptions);
                };

                return OutputRef;
            })();

            v1.Binding = (function() {

                const Binding = function (properties) {
                    this.path = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                Binding.prototype.output = null;
                Binding.prototype.parameter = null;
                Binding.prototype.literalJson = null;
                Binding.prototype.fanOutItem = null;
                Binding.prototype.collect = null;
                Binding.prototype.path = $util.emptyArray;

                let $oneOfFields;

                $Object.defineProperty(Binding.prototype, "source", {
                    get: $util.oneOfGetter($oneOfFields = ["output", "parameter", "literalJson", "fanOutItem", "collect"]),
                    set: $util.oneOfSetter($oneOfFields)
                });

                Binding.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.output != null && $Object.hasOwnProperty.call(message, "output"))
                        $root.canal.ir.v1.OutputRef.encode(message.output, writer.uint32(10).fork(), _depth + 1).ldelim();
                    if (message.parameter != null && $Object.hasOwnProperty.call(message, "parameter"))
                        writer.uint32(18).string(message.parameter);
                    if (message.literalJson != null && $Object.hasOwnProperty.call(message, "literalJson"))
                        writer.uint32(26).string(message.literalJson);
                    if (message.fanOutItem != null && $Object.hasOwnProperty.call(message, "fanOutItem"))
                        writer.uint32(34).string(message.fanOutItem);
                    if (message.collect != null && $Object.hasOwnProperty.call(message, "collect"))
                        $root.canal.ir.v1.OutputRef.encode(message.collect, writer.uint32(42).fork(), _depth + 1).ldelim();
                    if (message.path != null && message.path.length)
                        for (let i = 0; i < message.path.length; ++i)
                            writer.uint32(50).string(message.path[i]);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                Binding.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    let properties = {};
                    if (message.output != null && $Object.hasOwnProperty.call(message, "output")) {
                        properties.source = 1;
                        {
                            let error = $root.canal.ir.v1.OutputRef.verify(message.output, _depth + 1);
                            if (error)
                                return "output." + error;
                        }
                    }
                    if (message.parameter != null && $Object.hasOwnProperty.call(message, "parameter")) {
                        if (properties.source === 1)
                            return "source: multiple values";
                        properties.source = 1;
                        if (!$util.isString(message.parameter))
                            return "parameter: string expected";
                    }
                    if (message.literalJson != null && $Object.hasOwnProperty.call(message, "literalJson")) {
                        if (properties.source === 1)
                            return "source: multiple values";
                        properties.source = 1;
                        if (!$util.isString(message.literalJson))
                            return "literalJson: string expected";
                    }
                    if (message.fanOutItem != null && $Object.hasOwnProperty.call(message, "fanOutItem")) {
                        if (properties.source === 1)
                            return "source: multiple values";
                        properties.source = 1;
                        if (!$util.isString(message.fanOutItem))
                            return "fanOutItem: string expected";
                    }
                    if (message.collect != null && $Object.hasOwnProperty.call(message, "collect")) {
                        if (properties.source === 1)
                            return "source: multiple values";
                        properties.source = 1;
                        {
                            let error = $root.canal.ir.v1.OutputRef.verify(message.collect, _depth + 1);
                            if (error)
                                return "collect." + error;
                        }
                    }
                    if (message.path != null && $Object.hasOwnProperty.call(message, "path")) {
                        if (!$Array.isArray(message.path))
                            return "path: array expected";
                        for (let i = 0; i < message.path.length; ++i)
                            if (!$util.isString(message.path[i]))
                                return "path: string[] expected";
                    }
                    return null;
                };

                Binding.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.Binding)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.Binding: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.Binding();
                    if (object.output != null) {
                        if (!$util.isObject(object.output))
                            throw $TypeError(".canal.ir.v1.Binding.output: object expected");
                        message.output = $root.canal.ir.v1.OutputRef.fromObject(object.output, _depth + 1);
                    }
                    if (object.parameter != null)
                        message.parameter = $String(object.parameter);
                    if (object.literalJson != null)
                        message.literalJson = $String(object.literalJson);
                    if (object.fanOutItem != null)
                        message.fanOutItem = $String(object.fanOutItem);
                    if (object.collect != null) {
                        if (!$util.isObject(object.collect))
                            throw $TypeError(".canal.ir.v1.Binding.collect: object expected");
                        message.collect = $root.canal.ir.v1.OutputRef.fromObject(object.collect, _depth + 1);
                    }
                    if (object.path) {
                        if (!$Array.isArray(object.path))
                            throw $TypeError(".canal.ir.v1.Binding.path: array expected");
                        message.path = $Array(object.path.length);
                        for (let i = 0; i < object.path.length; ++i)
                            message.path[i] = $String(object.path[i]);
                    }
                    return message;
                };

                Binding.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.arrays || options.defaults)
                        object.path = [];
                    if (message.output != null && $Object.hasOwnProperty.call(message, "output")) {
                        object.output = $root.canal.ir.v1.OutputRef.toObject(message.output, options, _depth + 1);
                        if (options.oneofs)
                            object.source = "output";
                    }
                    if (message.parameter != null && $Object.hasOwnProperty.call(message, "parameter")) {
                        object.parameter = message.parameter;
                        if (options.oneofs)
                            object.source = "parameter";
                    }
                    if (message.literalJson != null && $Object.hasOwnProperty.call(message, "literalJson")) {
                        object.literalJson = message.literalJson;
                        if (options.oneofs)
                            object.source = "literalJson";
                    }
                    if (message.fanOutItem != null && $Object.hasOwnProperty.call(message, "fanOutItem")) {
                        object.fanOutItem = message.fanOutItem;
                        if (options.oneofs)
                            object.source = "fanOutItem";
                    }
                    if (message.collect != null && $Object.hasOwnProperty.call(message, "collect")) {
                        object.collect = $root.canal.ir.v1.OutputRef.toObject(message.collect, options, _depth + 1);
                        if (options.oneofs)
                            object.source = "collect";
                    }
                    if (message.path && message.path.length) {
                        object.path = $Array(message.path.length);
                        for (let j = 0; j < message.path.length; ++j)
                            object.path[j] = message.path[j];
                    }
                    return object;
                };

                Binding.prototype.toJSON = function() {
                    return Binding.toObject(this, $protobuf.util.toJSONOptions);
                };

                return Binding;
            })();

            v1.FanOut = (function() {

                const FanOut = function (properties) {
                    this.parameterPath = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                FanOut.prototype.id = "";
                FanOut.prototype.itemName = "";
                FanOut.prototype.parameter = null;
                FanOut.prototype.literalJson = null;
                FanOut.prototype.parameterPath = $util.emptyArray;
                FanOut.prototype.location = null;

                let $oneOfFields;

                $Object.defineProperty(FanOut.prototype, "items", {
                    get: $util.oneOfGetter($oneOfFields = ["parameter", "literalJson"]),
                    set: $util.oneOfSetter($oneOfFields)
                });

                FanOut.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.id != null && $Object.hasOwnProperty.call(message, "id") && message.id !== "")
                        writer.uint32(10).string(message.id);
                    if (message.itemName != null && $Object.hasOwnProperty.call(message, "itemName") && message.itemName !== "")
                        writer.uint32(18).string(message.itemName);
                    if (message.parameter != null && $Object.hasOwnProperty.call(message, "parameter"))
                        writer.uint32(26).string(message.parameter);
                    if (message.literalJson != null && $Object.hasOwnProperty.call(message, "literalJson"))
                        writer.uint32(34).string(message.literalJson);
                    if (message.parameterPath != null && message.parameterPath.length)
                        for (let i = 0; i < message.parameterPath.length; ++i)
                            writer.uint32(42).string(message.parameterPath[i]);
                    if (message.location != null && $Object.hasOwnProperty.call(message, "location"))
                        $root.canal.ir.v1.SourceLocation.encode(message.location, writer.uint32(50).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                FanOut.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    let properties = {};
                    if (message.id != null && $Object.hasOwnProperty.call(message, "id"))
                        if (!$util.isString(message.id))
                            return "id: string expected";
                    if (message.itemName != null && $Object.hasOwnProperty.call(message, "itemName"))
                        if (!$util.isString(message.itemName))
                            return "itemName: string expected";
                    if (message.parameter != null && $Object.hasOwnProperty.call(message, "parameter")) {
                        properties.items = 1;
                        if (!$util.isString(message.parameter))
                            return "parameter: string expected";
                    }
                    if (message.literalJson != null && $Object.hasOwnProperty.call(message, "literalJson")) {
                        if (properties.items === 1)
                            return "items: multiple values";
                        properties.items = 1;
                        if (!$util.isString(message.literalJson))
                            return "literalJson: string expected";
                    }
                    if (message.parameterPath != null && $Object.hasOwnProperty.call(message, "parameterPath")) {
                        if (!$Array.isArray(message.parameterPath))
                            return "parameterPath: array expected";
                        for (let i = 0; i < message.parameterPath.length; ++i)
                            if (!$util.isString(message.parameterPath[i]))
                                return "parameterPath: string[] expected";
                    }
                    if (message.location != null && $Object.hasOwnProperty.call(message, "location")) {
                        let error = $root.canal.ir.v1.SourceLocation.verify(message.location, _depth + 1);
                        if (error)
                            return "location." + error;
                    }
                    return null;
                };

                FanOut.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.FanOut)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.FanOut: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.FanOut();
                    if (object.id != null)
                        if (typeof object.id !== "string" || object.id.length)
                            message.id = $String(object.id);
                    if (object.itemName != null)
                        if (typeof object.itemName !== "string" || object.itemName.length)
                            message.itemName = $String(object.itemName);
                    if (object.parameter != null)
                        message.parameter = $String(object.parameter);
                    if (object.literalJson != null)
                        message.literalJson = $String(object.literalJson);
                    if (object.parameterPath) {
                        if (!$Array.isArray(object.parameterPath))
                            throw $TypeError(".canal.ir.v1.FanOut.parameterPath: array expected");
                        message.parameterPath = $Array(object.parameterPath.length);
                        for (let i = 0; i < object.parameterPath.length; ++i)
                            message.parameterPath[i] = $String(object.parameterPath[i]);
                    }
                    if (object.location != null) {
                        if (!$util.isObject(object.location))
                            throw $TypeError(".canal.ir.v1.FanOut.location: object expected");
                        message.location = $root.canal.ir.v1.SourceLocation.fromObject(object.location, _depth + 1);
                    }
                    return message;
                };

                FanOut.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.arrays || options.defaults)
                        object.parameterPath = [];
                    if (options.defaults) {
                        object.id = "";
                        object.itemName = "";
                        object.location = null;
                    }
                    if (message.id != null && $Object.hasOwnProperty.call(message, "id"))
                        object.id = message.id;
                    if (message.itemName != null && $Object.hasOwnProperty.call(message, "itemName"))
                        object.itemName = message.itemName;
                    if (message.parameter != null && $Object.hasOwnProperty.call(message, "parameter")) {
                        object.parameter = message.parameter;
                        if (options.oneofs)
                            object.items = "parameter";
                    }
                    if (message.literalJson != null && $Object.hasOwnProperty.call(message, "literalJson")) {
                        object.literalJson = message.literalJson;
                        if (options.oneofs)
                            object.items = "literalJson";
                    }
                    if (message.parameterPath && message.parameterPath.length) {
                        object.parameterPath = $Array(message.parameterPath.length);
                        for (let j = 0; j < message.parameterPath.length; ++j)
                            object.parameterPath[j] = message.parameterPath[j];
                    }
                    if (message.location != null && $Object.hasOwnProperty.call(message, "location"))
                        object.location = $root.canal.ir.v1.SourceLocation.toObject(message.location, options, _depth + 1);
                    return object;
                };

                FanOut.prototype.toJSON = function() {
                    return FanOut.toObject(this, $protobuf.util.toJSONOptions);
                };

                return FanOut;
            })();

            v1.Condition = (function() {

                const Condition = function (properties) {
                    this.path = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                Condition.prototype.parameter = "";
                Condition.prototype.path = $util.emptyArray;
                Condition.prototype.op = 0;
                Condition.prototype.valueJson = "";

                Condition.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.parameter != null && $Object.hasOwnProperty.call(message, "parameter") && message.parameter !== "")
                        writer.uint32(10).string(message.parameter);
                    if (message.path != null && message.path.length)
                        for (let i = 0; i < message.path.length; ++i)
                            writer.uint32(18).string(message.path[i]);
                    if (message.op != null && $Object.hasOwnProperty.call(message, "op") && message.op !== 0)
                        writer.uint32(24).int32(message.op);
                    if (message.valueJson != null && $Object.hasOwnProperty.call(message, "valueJson") && message.valueJson !== "")
                        writer.uint32(34).string(message.valueJson);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                Condition.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.parameter != null && $Object.hasOwnProperty.call(message, "parameter"))
                        if (!$util.isString(message.parameter))
                            return "parameter: string expected";
                    if (message.path != null && $Object.hasOwnProperty.call(message, "path")) {
                        if (!$Array.isArray(message.path))
                            return "path: array expected";
                        for (let i = 0; i < message.path.length; ++i)
                            if (!$util.isString(message.path[i]))
                                return "path: string[] expected";
                    }
                    if (message.op != null && $Object.hasOwnProperty.call(message, "op"))
                        if (typeof message.op !== "number" || (message.op | 0) !== message.op)
                            return "op: enum value expected";
                    if (message.valueJson != null && $Object.hasOwnProperty.call(message, "valueJson"))
                        if (!$util.isString(message.valueJson))
                            return "valueJson: string expected";
                    return null;
                };

                Condition.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.Condition)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.Condition: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.Condition();
                    if (object.parameter != null)
                        if (typeof object.parameter !== "string" || object.parameter.length)
                            message.parameter = $String(object.parameter);
                    if (object.path) {
                        if (!$Array.isArray(object.path))
                            throw $TypeError(".canal.ir.v1.Condition.path: array expected");
                        message.path = $Array(object.path.length);
                        for (let i = 0; i < object.path.length; ++i)
                            message.path[i] = $String(object.path[i]);
                    }
                    if (object.op !== 0 && (typeof object.op !== "string" || $root.canal.ir.v1.Condition.Op[object.op] !== 0))
                        switch (object.op) {
                        case "OP_UNSPECIFIED":
                        case 0:
                            message.op = 0;
                            break;
                        case "TRUTHY":
                        case 1:
                            message.op = 1;
                            break;
                        case "FALSY":
                        case 2:
                            message.op = 2;
                            break;
                        case "EQ":
                        case 3:
                            message.op = 3;
                            break;
                        case "NE":
                        case 4:
                            message.op = 4;
                            break;
                        case "LT":
                        case 5:
                            message.op = 5;
                            break;
                        case "LE":
                        case 6:
                            message.op = 6;
                            break;
                        case "GT":
                        case 7:
                            message.op = 7;
                            break;
                        case "GE":
                        case 8:
                            message.op = 8;
                            break;
                        default:
                            if (typeof object.op === "number" && (object.op | 0) === object.op)
                                message.op = object.op;
                        }
                    if (object.valueJson != null)
                        if (typeof object.valueJson !== "string" || object.valueJson.length)
                            message.valueJson = $String(object.valueJson);
                    return message;
                };

                Condition.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.arrays || options.defaults)
                        object.path = [];
                    if (options.defaults) {
                        object.parameter = "";
                        object.op = options.enums === $String ? "OP_UNSPECIFIED" : 0;
                        object.valueJson = "";
                    }
                    if (message.parameter != null && $Object.hasOwnProperty.call(message, "parameter"))
                        object.parameter = message.parameter;
                    if (message.path && message.path.length) {
                        object.path = $Array(message.path.length);
                        for (let j = 0; j < message.path.length; ++j)
                            object.path[j] = message.path[j];
                    }
                    if (message.op != null && $Object.hasOwnProperty.call(message, "op"))
                        object.op = options.enums === $String ? $root.canal.ir.v1.Condition.Op[message.op] === $undefined ? message.op : $root.canal.ir.v1.Condition.Op[message.op] : message.op;
                    if (message.valueJson != null && $Object.hasOwnProperty.call(message, "valueJson"))
                        object.valueJson = message.valueJson;
                    return object;
                };

                Condition.prototype.toJSON = function() {
                    return Condition.toObject(this, $protobuf.util.toJSONOptions);
                };

                Condition.Op = (function() {
                    const valuesById = $Object.create(null), values = $Object.create(valuesById);
                    values[valuesById[0] = "OP_UNSPECIFIED"] = 0;
                    values[valuesById[1] = "TRUTHY"] = 1;
                    values[valuesById[2] = "FALSY"] = 2;
                    values[valuesById[3] = "EQ"] = 3;
                    values[valuesById[4] = "NE"] = 4;
                    values[valuesById[5] = "LT"] = 5;
                    values[valuesById[6] = "LE"] = 6;
                    values[valuesById[7] = "GT"] = 7;
                    values[valuesById[8] = "GE"] = 8;
                    return values;
                })();

                return Condition;
            })();

            v1.PipelineOutput = (function() {

                const PipelineOutput = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                PipelineOutput.prototype.name = "";
                PipelineOutput.prototype.type = null;
                PipelineOutput.prototype.binding = null;
                PipelineOutput.prototype.destination = null;

                PipelineOutput.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(10).string(message.name);
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type"))
                        $root.canal.ir.v1.Type.encode(message.type, writer.uint32(18).fork(), _depth + 1).ldelim();
                    if (message.binding != null && $Object.hasOwnProperty.call(message, "binding"))
                        $root.canal.ir.v1.Binding.encode(message.binding, writer.uint32(26).fork(), _depth + 1).ldelim();
                    if (message.destination != null && $Object.hasOwnProperty.call(message, "destination"))
                        $root.canal.ir.v1.OutputDestination.encode(message.destination, writer.uint32(34).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                PipelineOutput.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        if (!$util.isString(message.name))
                            return "name: string expected";
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type")) {
                        let error = $root.canal.ir.v1.Type.verify(message.type, _depth + 1);
                        if (error)
                            return "type." + error;
                    }
                    if (message.binding != null && $Object.hasOwnProperty.call(message, "binding")) {
                        let error = $root.canal.ir.v1.Binding.verify(message.binding, _depth + 1);
                        if (error)
                            return "binding." + error;
                    }
                    if (message.destination != null && $Object.hasOwnProperty.call(message, "destination")) {
                        let error = $root.canal.ir.v1.OutputDestination.verify(message.destination, _depth + 1);
                        if (error)
                            return "destination." + error;
                    }
                    return null;
                };

                PipelineOutput.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.PipelineOutput)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.PipelineOutput: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.PipelineOutput();
                    if (object.name != null)
                        if (typeof object.name !== "string" || object.name.length)
                            message.name = $String(object.name);
                    if (object.type != null) {
                        if (!$util.isObject(object.type))
                            throw $TypeError(".canal.ir.v1.PipelineOutput.type: object expected");
                        message.type = $root.canal.ir.v1.Type.fromObject(object.type, _depth + 1);
                    }
                    if (object.binding != null) {
                        if (!$util.isObject(object.binding))
                            throw $TypeError(".canal.ir.v1.PipelineOutput.binding: object expected");
                        message.binding = $root.canal.ir.v1.Binding.fromObject(object.binding, _depth + 1);
                    }
                    if (object.destination != null) {
                        if (!$util.isObject(object.destination))
                            throw $TypeError(".canal.ir.v1.PipelineOutput.destination: object expected");
                        message.destination = $root.canal.ir.v1.OutputDestination.fromObject(object.destination, _depth + 1);
                    }
                    return message;
                };

                PipelineOutput.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.name = "";
                        object.type = null;
                        object.binding = null;
                        object.destination = null;
                    }
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        object.name = message.name;
                    if (message.type != null && $Object.hasOwnProperty.call(message, "type"))
                        object.type = $root.canal.ir.v1.Type.toObject(message.type, options, _depth + 1);
                    if (message.binding != null && $Object.hasOwnProperty.call(message, "binding"))
                        object.binding = $root.canal.ir.v1.Binding.toObject(message.binding, options, _depth + 1);
                    if (message.destination != null && $Object.hasOwnProperty.call(message, "destination"))
                        object.destination = $root.canal.ir.v1.OutputDestination.toObject(message.destination, options, _depth + 1);
                    return object;
                };

                PipelineOutput.prototype.toJSON = function() {
                    return PipelineOutput.toObject(this, $protobuf.util.toJSONOptions);
                };

                return PipelineOutput;
            })();

            v1.OutputDestination = (function() {

                const OutputDestination = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                OutputDestination.prototype.datastore = "";
                OutputDestination.prototype.path = "";
                OutputDestination.prototype.register = "";

                OutputDestination.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.datastore != null && $Object.hasOwnProperty.call(message, "datastore") && message.datastore !== "")
                        writer.uint32(10).string(message.datastore);
                    if (message.path != null && $Object.hasOwnProperty.call(message, "path") && message.path !== "")
                        writer.uint32(18).string(message.path);
                    if (message.register != null && $Object.hasOwnProperty.call(message, "register") && message.register !== "")
                        writer.uint32(26).string(message.register);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                OutputDestination.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.datastore != null && $Object.hasOwnProperty.call(message, "datastore"))
                        if (!$util.isString(message.datastore))
                            return "datastore: string expected";
                    if (message.path != null && $Object.hasOwnProperty.call(message, "path"))
                        if (!$util.isString(message.path))
                            return "path: string expected";
                    if (message.register != null && $Object.hasOwnProperty.call(message, "register"))
                        if (!$util.isString(message.register))
                            return "register: string expected";
                    return null;
                };

                OutputDestination.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.OutputDestination)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.OutputDestination: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.OutputDestination();
                    if (object.datastore != null)
                        if (typeof object.datastore !== "string" || object.datastore.length)
                            message.datastore = $String(object.datastore);
                    if (object.path != null)
                        if (typeof object.path !== "string" || object.path.length)
                            message.path = $String(object.path);
                    if (object.register != null)
                        if (typeof object.register !== "string" || object.register.length)
                            message.register = $String(object.register);
                    return message;
                };

                OutputDestination.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.datastore = "";
                        object.path = "";
                        object.register = "";
                    }
                    if (message.datastore != null && $Object.hasOwnProperty.call(message, "datastore"))
                        object.datastore = message.datastore;
                    if (message.path != null && $Object.hasOwnProperty.call(message, "path"))
                        object.path = message.path;
                    if (message.register != null && $Object.hasOwnProperty.call(message, "register"))
                        object.register = message.register;
                    return object;
                };

                OutputDestination.prototype.toJSON = function() {
                    return OutputDestination.toObject(this, $protobuf.util.toJSONOptions);
                };

                return OutputDestination;
            })();

            v1.Environment = (function() {

                const Environment = function (properties) {
                    this.packages = [];
                    this.variables = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                Environment.prototype.id = "";
                Environment.prototype.kind = 0;
                Environment.prototype.image = "";
                Environment.prototype.pythonVersion = "";
                Environment.prototype.nodeVersion = "";
                Environment.prototype.requirementsPath = "";
                Environment.prototype.requirements = "";
                Environment.prototype.packages = $util.emptyArray;
                Environment.prototype.variables = $util.emptyArray;

                Environment.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.id != null && $Object.hasOwnProperty.call(message, "id") && message.id !== "")
                        writer.uint32(10).string(message.id);
                    if (message.kind != null && $Object.hasOwnProperty.call(message, "kind") && message.kind !== 0)
                        writer.uint32(16).int32(message.kind);
                    if (message.image != null && $Object.hasOwnProperty.call(message, "image") && message.image !== "")
                        writer.uint32(26).string(message.image);
                    if (message.pythonVersion != null && $Object.hasOwnProperty.call(message, "pythonVersion") && message.pythonVersion !== "")
                        writer.uint32(34).string(message.pythonVersion);
                    if (message.nodeVersion != null && $Object.hasOwnProperty.call(message, "nodeVersion") && message.nodeVersion !== "")
                        writer.uint32(42).string(message.nodeVersion);
                    if (message.requirementsPath != null && $Object.hasOwnProperty.call(message, "requirementsPath") && message.requirementsPath !== "")
                        writer.uint32(50).string(message.requirementsPath);
                    if (message.requirements != null && $Object.hasOwnProperty.call(message, "requirements") && message.requirements !== "")
                        writer.uint32(58).string(message.requirements);
                    if (message.packages != null && message.packages.length)
                        for (let i = 0; i < message.packages.length; ++i)
                            writer.uint32(66).string(message.packages[i]);
                    if (message.variables != null && message.variables.length)
                        for (let i = 0; i < message.variables.length; ++i)
                            $root.canal.ir.v1.EnvVar.encode(message.variables[i], writer.uint32(74).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                Environment.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.id != null && $Object.hasOwnProperty.call(message, "id"))
                        if (!$util.isString(message.id))
                            return "id: string expected";
                    if (message.kind != null && $Object.hasOwnProperty.call(message, "kind"))
                        if (typeof message.kind !== "number" || (message.kind | 0) !== message.kind)
                            return "kind: enum value expected";
                    if (message.image != null && $Object.hasOwnProperty.call(message, "image"))
                        if (!$util.isString(message.image))
                            return "image: string expected";
                    if (message.pythonVersion != null && $Object.hasOwnProperty.call(message, "pythonVersion"))
                        if (!$util.isString(message.pythonVersion))
                            return "pythonVersion: string expected";
                    if (message.nodeVersion != null && $Object.hasOwnProperty.call(message, "nodeVersion"))
                        if (!$util.isString(message.nodeVersion))
                            return "nodeVersion: string expected";
                    if (message.requirementsPath != null && $Object.hasOwnProperty.call(message, "requirementsPath"))
                        if (!$util.isString(message.requirementsPath))
                            return "requirementsPath: string expected";
                    if (message.requirements != null && $Object.hasOwnProperty.call(message, "requirements"))
                        if (!$util.isString(message.requirements))
                            return "requirements: string expected";
                    if (message.packages != null && $Object.hasOwnProperty.call(message, "packages")) {
                        if (!$Array.isArray(message.packages))
                            return "packages: array expected";
                        for (let i = 0; i < message.packages.length; ++i)
                            if (!$util.isString(message.packages[i]))
                                return "packages: string[] expected";
                    }
                    if (message.variables != null && $Object.hasOwnProperty.call(message, "variables")) {
                        if (!$Array.isArray(message.variables))
                            return "variables: array expected";
                        for (let i = 0; i < message.variables.length; ++i) {
                            let error = $root.canal.ir.v1.EnvVar.verify(message.variables[i], _depth + 1);
                            if (error)
                                return "variables." + error;
                        }
                    }
                    return null;
                };

                Environment.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.Environment)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.Environment: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.Environment();
                    if (object.id != null)
                        if (typeof object.id !== "string" || object.id.length)
                            message.id = $String(object.id);
                    if (object.kind !== 0 && (typeof object.kind !== "string" || $root.canal.ir.v1.Environment.Kind[object.kind] !== 0))
                        switch (object.kind) {
                        case "KIND_UNSPECIFIED":
                        case 0:
                            message.kind = 0;
                            break;
                        case "PYTHON":
                        case 1:
                            message.kind = 1;
                            break;
                        case "NODE":
                        case 2:
                            message.kind = 2;
                            break;
                        case "IMAGE":
                        case 3:
                            message.kind = 3;
                            break;
                        default:
                            if (typeof object.kind === "number" && (object.kind | 0) === object.kind)
                                message.kind = object.kind;
                        }
                    if (object.image != null)
                        if (typeof object.image !== "string" || object.image.length)
                            message.image = $String(object.image);
                    if (object.pythonVersion != null)
                        if (typeof object.pythonVersion !== "string" || object.pythonVersion.length)
                            message.pythonVersion = $String(object.pythonVersion);
                    if (object.nodeVersion != null)
                        if (typeof object.nodeVersion !== "string" || object.nodeVersion.length)
                            message.nodeVersion = $String(object.nodeVersion);
                    if (object.requirementsPath != null)
                        if (typeof object.requirementsPath !== "string" || object.requirementsPath.length)
                            message.requirementsPath = $String(object.requirementsPath);
                    if (object.requirements != null)
                        if (typeof object.requirements !== "string" || object.requirements.length)
                            message.requirements = $String(object.requirements);
                    if (object.packages) {
                        if (!$Array.isArray(object.packages))
                            throw $TypeError(".canal.ir.v1.Environment.packages: array expected");
                        message.packages = $Array(object.packages.length);
                        for (let i = 0; i < object.packages.length; ++i)
                            message.packages[i] = $String(object.packages[i]);
                    }
                    if (object.variables) {
                        if (!$Array.isArray(object.variables))
                            throw $TypeError(".canal.ir.v1.Environment.variables: array expected");
                        message.variables = $Array(object.variables.length);
                        for (let i = 0; i < object.variables.length; ++i) {
                            if (!$util.isObject(object.variables[i]))
                                throw $TypeError(".canal.ir.v1.Environment.variables: object expected");
                            message.variables[i] = $root.canal.ir.v1.EnvVar.fromObject(object.variables[i], _depth + 1);
                        }
                    }
                    return message;
                };

                Environment.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.arrays || options.defaults) {
                        object.packages = [];
                        object.variables = [];
                    }
                    if (options.defaults) {
                        object.id = "";
                        object.kind = options.enums === $String ? "KIND_UNSPECIFIED" : 0;
                        object.image = "";
                        object.pythonVersion = "";
                        object.nodeVersion = "";
                        object.requirementsPath = "";
                        object.requirements = "";
                    }
                    if (message.id != null && $Object.hasOwnProperty.call(message, "id"))
                        object.id = message.id;
                    if (message.kind != null && $Object.hasOwnProperty.call(message, "kind"))
                        object.kind = options.enums === $String ? $root.canal.ir.v1.Environment.Kind[message.kind] === $undefined ? message.kind : $root.canal.ir.v1.Environment.Kind[message.kind] : message.kind;
                    if (message.image != null && $Object.hasOwnProperty.call(message, "image"))
                        object.image = message.image;
                    if (message.pythonVersion != null && $Object.hasOwnProperty.call(message, "pythonVersion"))
                        object.pythonVersion = message.pythonVersion;
                    if (message.nodeVersion != null && $Object.hasOwnProperty.call(message, "nodeVersion"))
                        object.nodeVersion = message.nodeVersion;
                    if (message.requirementsPath != null && $Object.hasOwnProperty.call(message, "requirementsPath"))
                        object.requirementsPath = message.requirementsPath;
                    if (message.requirements != null && $Object.hasOwnProperty.call(message, "requirements"))
                        object.requirements = message.requirements;
                    if (message.packages && message.packages.length) {
                        object.packages = $Array(message.packages.length);
                        for (let j = 0; j < message.packages.length; ++j)
                            object.packages[j] = message.packages[j];
                    }
                    if (message.variables && message.variables.length) {
                        object.variables = $Array(message.variables.length);
                        for (let j = 0; j < message.variables.length; ++j)
                            object.variables[j] = $root.canal.ir.v1.EnvVar.toObject(message.variables[j], options, _depth + 1);
                    }
                    return object;
                };

                Environment.prototype.toJSON = function() {
                    return Environment.toObject(this, $protobuf.util.toJSONOptions);
                };

                Environment.Kind = (function() {
                    const valuesById = $Object.create(null), values = $Object.create(valuesById);
                    values[valuesById[0] = "KIND_UNSPECIFIED"] = 0;
                    values[valuesById[1] = "PYTHON"] = 1;
                    values[valuesById[2] = "NODE"] = 2;
                    values[valuesById[3] = "IMAGE"] = 3;
                    return values;
                })();

                return Environment;
            })();

            v1.EnvVar = (function() {

                const EnvVar = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                EnvVar.prototype.name = "";
                EnvVar.prototype.value = "";

                EnvVar.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(10).string(message.name);
                    if (message.value != null && $Object.hasOwnProperty.call(message, "value") && message.value !== "")
                        writer.uint32(18).string(message.value);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                EnvVar.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        if (!$util.isString(message.name))
                            return "name: string expected";
                    if (message.value != null && $Object.hasOwnProperty.call(message, "value"))
                        if (!$util.isString(message.value))
                            return "value: string expected";
                    return null;
                };

                EnvVar.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.EnvVar)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.EnvVar: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.EnvVar();
                    if (object.name != null)
                        if (typeof object.name !== "string" || object.name.length)
                            message.name = $String(object.name);
                    if (object.value != null)
                        if (typeof object.value !== "string" || object.value.length)
                            message.value = $String(object.value);
                    return message;
                };

                EnvVar.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.name = "";
                        object.value = "";
                    }
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name"))
                        object.name = message.name;
                    if (message.value != null && $Object.hasOwnProperty.call(message, "value"))
                        object.value = message.value;
                    return object;
                };

                EnvVar.prototype.toJSON = function() {
                    return EnvVar.toObject(this, $protobuf.util.toJSONOptions);
                };

                return EnvVar;
            })();

            v1.Resources = (function() {

                const Resources = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                Resources.prototype.cpu = 0;
                Resources.prototype.memoryBytes = 0;
                Resources.prototype.gpu = 0;
                Resources.prototype.gpuType = "";

                Resources.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.cpu != null && $Object.hasOwnProperty.call(message, "cpu") && !$Object.is(message.cpu, 0))
                        writer.uint32(9).double(message.cpu);
                    if (message.memoryBytes != null && $Object.hasOwnProperty.call(message, "memoryBytes") && !$Object.is(message.memoryBytes, 0))
                        writer.uint32(17).double(message.memoryBytes);
                    if (message.gpu != null && $Object.hasOwnProperty.call(message, "gpu") && message.gpu !== 0)
                        writer.uint32(24).uint32(message.gpu);
                    if (message.gpuType != null && $Object.hasOwnProperty.call(message, "gpuType") && message.gpuType !== "")
                        writer.uint32(34).string(message.gpuType);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                Resources.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.cpu != null && $Object.hasOwnProperty.call(message, "cpu"))
                        if (typeof message.cpu !== "number")
                            return "cpu: number expected";
                    if (message.memoryBytes != null && $Object.hasOwnProperty.call(message, "memoryBytes"))
                        if (typeof message.memoryBytes !== "number")
                            return "memoryBytes: number expected";
                    if (message.gpu != null && $Object.hasOwnProperty.call(message, "gpu"))
                        if (!$util.isInteger(message.gpu))
                            return "gpu: integer expected";
                    if (message.gpuType != null && $Object.hasOwnProperty.call(message, "gpuType"))
                        if (!$util.isString(message.gpuType))
                            return "gpuType: string expected";
                    return null;
                };

                Resources.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.Resources)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.Resources: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.Resources();
                    if (object.cpu != null)
                        if (!$Object.is($Number(object.cpu), 0))
                            message.cpu = $Number(object.cpu);
                    if (object.memoryBytes != null)
                        if (!$Object.is($Number(object.memoryBytes), 0))
                            message.memoryBytes = $Number(object.memoryBytes);
                    if (object.gpu != null)
                        if ($Number(object.gpu) !== 0)
                            message.gpu = object.gpu >>> 0;
                    if (object.gpuType != null)
                        if (typeof object.gpuType !== "string" || object.gpuType.length)
                            message.gpuType = $String(object.gpuType);
                    return message;
                };

                Resources.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.cpu = 0;
                        object.memoryBytes = 0;
                        object.gpu = 0;
                        object.gpuType = "";
                    }
                    if (message.cpu != null && $Object.hasOwnProperty.call(message, "cpu"))
                        object.cpu = options.json && !$isFinite(message.cpu) ? $String(message.cpu) : message.cpu;
                    if (message.memoryBytes != null && $Object.hasOwnProperty.call(message, "memoryBytes"))
                        object.memoryBytes = options.json && !$isFinite(message.memoryBytes) ? $String(message.memoryBytes) : message.memoryBytes;
                    if (message.gpu != null && $Object.hasOwnProperty.call(message, "gpu"))
                        object.gpu = message.gpu;
                    if (message.gpuType != null && $Object.hasOwnProperty.call(message, "gpuType"))
                        object.gpuType = message.gpuType;
                    return object;
                };

                Resources.prototype.toJSON = function() {
                    return Resources.toObject(this, $protobuf.util.toJSONOptions);
                };

                return Resources;
            })();

            v1.RetryPolicy = (function() {

                const RetryPolicy = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                RetryPolicy.prototype.maxRetries = 0;
                RetryPolicy.prototype.backoffMs = 0;

                RetryPolicy.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.maxRetries != null && $Object.hasOwnProperty.call(message, "maxRetries") && message.maxRetries !== 0)
                        writer.uint32(8).uint32(message.maxRetries);
                    if (message.backoffMs != null && $Object.hasOwnProperty.call(message, "backoffMs") && !$Object.is(message.backoffMs, 0))
                        writer.uint32(17).double(message.backoffMs);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                RetryPolicy.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.maxRetries != null && $Object.hasOwnProperty.call(message, "maxRetries"))
                        if (!$util.isInteger(message.maxRetries))
                            return "maxRetries: integer expected";
                    if (message.backoffMs != null && $Object.hasOwnProperty.call(message, "backoffMs"))
                        if (typeof message.backoffMs !== "number")
                            return "backoffMs: number expected";
                    return null;
                };

                RetryPolicy.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.RetryPolicy)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.RetryPolicy: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.RetryPolicy();
                    if (object.maxRetries != null)
                        if ($Number(object.maxRetries) !== 0)
                            message.maxRetries = object.maxRetries >>> 0;
                    if (object.backoffMs != null)
                        if (!$Object.is($Number(object.backoffMs), 0))
                            message.backoffMs = $Number(object.backoffMs);
                    return message;
                };

                RetryPolicy.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.maxRetries = 0;
                        object.backoffMs = 0;
                    }
                    if (message.maxRetries != null && $Object.hasOwnProperty.call(message, "maxRetries"))
                        object.maxRetries = message.maxRetries;
                    if (message.backoffMs != null && $Object.hasOwnProperty.call(message, "backoffMs"))
                        object.backoffMs = options.json && !$isFinite(message.backoffMs) ? $String(message.backoffMs) : message.backoffMs;
                    return object;
                };

                RetryPolicy.prototype.toJSON = function() {
                    return RetryPolicy.toObject(this, $protobuf.util.toJSONOptions);
                };

                return RetryPolicy;
            })();

            v1.CachePolicy = (function() {

                const CachePolicy = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                CachePolicy.prototype.noReuse = false;

                CachePolicy.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.noReuse != null && $Object.hasOwnProperty.call(message, "noReuse") && message.noReuse !== false)
                        writer.uint32(8).bool(message.noReuse);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                CachePolicy.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.noReuse != null && $Object.hasOwnProperty.call(message, "noReuse"))
                        if (typeof message.noReuse !== "boolean")
                            return "noReuse: boolean expected";
                    return null;
                };

                CachePolicy.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.CachePolicy)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.CachePolicy: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.CachePolicy();
                    if (object.noReuse != null)
                        if (object.noReuse)
                            message.noReuse = $Boolean(object.noReuse);
                    return message;
                };

                CachePolicy.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults)
                        object.noReuse = false;
                    if (message.noReuse != null && $Object.hasOwnProperty.call(message, "noReuse"))
                        object.noReuse = message.noReuse;
                    return object;
                };

                CachePolicy.prototype.toJSON = function() {
                    return CachePolicy.toObject(this, $protobuf.util.toJSONOptions);
                };

                return CachePolicy;
            })();

            v1.HashedFile = (function() {

                const HashedFile = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                HashedFile.prototype.path = "";
                HashedFile.prototype.sha256 = "";

                HashedFile.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.path != null && $Object.hasOwnProperty.call(message, "path") && message.path !== "")
                        writer.uint32(10).string(message.path);
                    if (message.sha256 != null && $Object.hasOwnProperty.call(message, "sha256") && message.sha256 !== "")
                        writer.uint32(18).string(message.sha256);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                HashedFile.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.path != null && $Object.hasOwnProperty.call(message, "path"))
                        if (!$util.isString(message.path))
                            return "path: string expected";
                    if (message.sha256 != null && $Object.hasOwnProperty.call(message, "sha256"))
                        if (!$util.isString(message.sha256))
                            return "sha256: string expected";
                    return null;
                };

                HashedFile.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.HashedFile)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.HashedFile: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.HashedFile();
                    if (object.path != null)
                        if (typeof object.path !== "string" || object.path.length)
                            message.path = $String(object.path);
                    if (object.sha256 != null)
                        if (typeof object.sha256 !== "string" || object.sha256.length)
                            message.sha256 = $String(object.sha256);
                    return message;
                };

                HashedFile.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.path = "";
                        object.sha256 = "";
                    }
                    if (message.path != null && $Object.hasOwnProperty.call(message, "path"))
                        object.path = message.path;
                    if (message.sha256 != null && $Object.hasOwnProperty.call(message, "sha256"))
                        object.sha256 = message.sha256;
                    return object;
                };

                HashedFile.prototype.toJSON = function() {
                    return HashedFile.toObject(this, $protobuf.util.toJSONOptions);
                };

                return HashedFile;
            })();

            v1.BlobRef = (function() {

                const BlobRef = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                BlobRef.prototype.sha256 = "";
                BlobRef.prototype.size = 0;
                BlobRef.prototype.mediaType = "";

                BlobRef.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.sha256 != null && $Object.hasOwnProperty.call(message, "sha256") && message.sha256 !== "")
                        writer.uint32(10).string(message.sha256);
                    if (message.size != null && $Object.hasOwnProperty.call(message, "size") && !$Object.is(message.size, 0))
                        writer.uint32(17).double(message.size);
                    if (message.mediaType != null && $Object.hasOwnProperty.call(message, "mediaType") && message.mediaType !== "")
                        writer.uint32(26).string(message.mediaType);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                BlobRef.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.sha256 != null && $Object.hasOwnProperty.call(message, "sha256"))
                        if (!$util.isString(message.sha256))
                            return "sha256: string expected";
                    if (message.size != null && $Object.hasOwnProperty.call(message, "size"))
                        if (typeof message.size !== "number")
                            return "size: number expected";
                    if (message.mediaType != null && $Object.hasOwnProperty.call(message, "mediaType"))
                        if (!$util.isString(message.mediaType))
                            return "mediaType: string expected";
                    return null;
                };

                BlobRef.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.BlobRef)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.BlobRef: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.BlobRef();
                    if (object.sha256 != null)
                        if (typeof object.sha256 !== "string" || object.sha256.length)
                            message.sha256 = $String(object.sha256);
                    if (object.size != null)
                        if (!$Object.is($Number(object.size), 0))
                            message.size = $Number(object.size);
                    if (object.mediaType != null)
                        if (typeof object.mediaType !== "string" || object.mediaType.length)
                            message.mediaType = $String(object.mediaType);
                    return message;
                };

                BlobRef.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.sha256 = "";
                        object.size = 0;
                        object.mediaType = "";
                    }
                    if (message.sha256 != null && $Object.hasOwnProperty.call(message, "sha256"))
                        object.sha256 = message.sha256;
                    if (message.size != null && $Object.hasOwnProperty.call(message, "size"))
                        object.size = options.json && !$isFinite(message.size) ? $String(message.size) : message.size;
                    if (message.mediaType != null && $Object.hasOwnProperty.call(message, "mediaType"))
                        object.mediaType = message.mediaType;
                    return object;
                };

                BlobRef.prototype.toJSON = function() {
                    return BlobRef.toObject(this, $protobuf.util.toJSONOptions);
                };

                return BlobRef;
            })();

            v1.SourceLocation = (function() {

                const SourceLocation = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                SourceLocation.prototype.file = "";
                SourceLocation.prototype.line = 0;
                SourceLocation.prototype.column = 0;

                SourceLocation.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.file != null && $Object.hasOwnProperty.call(message, "file") && message.file !== "")
                        writer.uint32(10).string(message.file);
                    if (message.line != null && $Object.hasOwnProperty.call(message, "line") && message.line !== 0)
                        writer.uint32(16).uint32(message.line);
                    if (message.column != null && $Object.hasOwnProperty.call(message, "column") && message.column !== 0)
                        writer.uint32(24).uint32(message.column);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                SourceLocation.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.file != null && $Object.hasOwnProperty.call(message, "file"))
                        if (!$util.isString(message.file))
                            return "file: string expected";
                    if (message.line != null && $Object.hasOwnProperty.call(message, "line"))
                        if (!$util.isInteger(message.line))
                            return "line: integer expected";
                    if (message.column != null && $Object.hasOwnProperty.call(message, "column"))
                        if (!$util.isInteger(message.column))
                            return "column: integer expected";
                    return null;
                };

                SourceLocation.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.SourceLocation)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.SourceLocation: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.SourceLocation();
                    if (object.file != null)
                        if (typeof object.file !== "string" || object.file.length)
                            message.file = $String(object.file);
                    if (object.line != null)
                        if ($Number(object.line) !== 0)
                            message.line = object.line >>> 0;
                    if (object.column != null)
                        if ($Number(object.column) !== 0)
                            message.column = object.column >>> 0;
                    return message;
                };

                SourceLocation.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.defaults) {
                        object.file = "";
                        object.line = 0;
                        object.column = 0;
                    }
                    if (message.file != null && $Object.hasOwnProperty.call(message, "file"))
                        object.file = message.file;
                    if (message.line != null && $Object.hasOwnProperty.call(message, "line"))
                        object.line = message.line;
                    if (message.column != null && $Object.hasOwnProperty.call(message, "column"))
                        object.column = message.column;
                    return object;
                };

                SourceLocation.prototype.toJSON = function() {
                    return SourceLocation.toObject(this, $protobuf.util.toJSONOptions);
                };

                return SourceLocation;
            })();

            v1.SourceInfo = (function() {

                const SourceInfo = function (properties) {
                    this.files = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                SourceInfo.prototype.entry = "";
                SourceInfo.prototype.gitCommit = "";
                SourceInfo.prototype.gitBranch = "";
                SourceInfo.prototype.gitDirty = false;
                SourceInfo.prototype.files = $util.emptyArray;

                SourceInfo.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.entry != null && $Object.hasOwnProperty.call(message, "entry") && message.entry !== "")
                        writer.uint32(10).string(message.entry);
                    if (message.gitCommit != null && $Object.hasOwnProperty.call(message, "gitCommit") && message.gitCommit !== "")
                        writer.uint32(18).string(message.gitCommit);
                    if (message.gitBranch != null && $Object.hasOwnProperty.call(message, "gitBranch") && message.gitBranch !== "")
                        writer.uint32(26).string(message.gitBranch);
                    if (message.gitDirty != null && $Object.hasOwnProperty.call(message, "gitDirty") && message.gitDirty !== false)
                        writer.uint32(32).bool(message.gitDirty);
                    if (message.files != null && message.files.length)
                        for (let i = 0; i < message.files.length; ++i)
                            $root.canal.ir.v1.HashedFile.encode(message.files[i], writer.uint32(42).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                SourceInfo.verify = function (message, _depth) {
                    if (typeof message !== "object" || message === null)
                        return "object expected";
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        return "max depth exceeded";
                    if (message.entry != null && $Object.hasOwnProperty.call(message, "entry"))
                        if (!$util.isString(message.entry))
                            return "entry: string expected";
                    if (message.gitCommit != null && $Object.hasOwnProperty.call(message, "gitCommit"))
                        if (!$util.isString(message.gitCommit))
                            return "gitCommit: string expected";
                    if (message.gitBranch != null && $Object.hasOwnProperty.call(message, "gitBranch"))
                        if (!$util.isString(message.gitBranch))
                            return "gitBranch: string expected";
                    if (message.gitDirty != null && $Object.hasOwnProperty.call(message, "gitDirty"))
                        if (typeof message.gitDirty !== "boolean")
                            return "gitDirty: boolean expected";
                    if (message.files != null && $Object.hasOwnProperty.call(message, "files")) {
                        if (!$Array.isArray(message.files))
                            return "files: array expected";
                        for (let i = 0; i < message.files.length; ++i) {
                            let error = $root.canal.ir.v1.HashedFile.verify(message.files[i], _depth + 1);
                            if (error)
                                return "files." + error;
                        }
                    }
                    return null;
                };

                SourceInfo.fromObject = function (object, _depth) {
                    if (object instanceof $root.canal.ir.v1.SourceInfo)
                        return object;
                    if (!$util.isObject(object))
                        throw $TypeError(".canal.ir.v1.SourceInfo: object expected");
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let message = new $root.canal.ir.v1.SourceInfo();
                    if (object.entry != null)
                        if (typeof object.entry !== "string" || object.entry.length)
                            message.entry = $String(object.entry);
                    if (object.gitCommit != null)
                        if (typeof object.gitCommit !== "string" || object.gitCommit.length)
                            message.gitCommit = $String(object.gitCommit);
                    if (object.gitBranch != null)
                        if (typeof object.gitBranch !== "string" || object.gitBranch.length)
                            message.gitBranch = $String(object.gitBranch);
                    if (object.gitDirty != null)
                        if (object.gitDirty)
                            message.gitDirty = $Boolean(object.gitDirty);
                    if (object.files) {
                        if (!$Array.isArray(object.files))
                            throw $TypeError(".canal.ir.v1.SourceInfo.files: array expected");
                        message.files = $Array(object.files.length);
                        for (let i = 0; i < object.files.length; ++i) {
                            if (!$util.isObject(object.files[i]))
                                throw $TypeError(".canal.ir.v1.SourceInfo.files: object expected");
                            message.files[i] = $root.canal.ir.v1.HashedFile.fromObject(object.files[i], _depth + 1);
                        }
                    }
                    return message;
                };

                SourceInfo.toObject = function (message, options, _depth) {
                    if (!options)
                        options = {};
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    let object = {};
                    if (options.arrays || options.defaults)
                        object.files = [];
                    if (options.defaults) {
                        object.entry = "";
                        object.gitCommit = "";
                        object.gitBranch = "";
                        object.gitDirty = false;
                    }
                    if (message.entry != null && $Object.hasOwnProperty.call(message, "entry"))
                        object.entry = message.entry;
                    if (message.gitCommit != null && $Object.hasOwnProperty.call(message, "gitCommit"))
                        object.gitCommit = message.gitCommit;
                    if (message.gitBranch != null && $Object.hasOwnProperty.call(message, "gitBranch"))
                        object.gitBranch = message.gitBranch;
                    if (message.gitDirty != null && $Object.hasOwnProperty.call(message, "gitDirty"))
                        object.gitDirty = message.gitDirty;
                    if (message.files && message.files.length) {
                        object.files = $Array(message.files.length);
                        for (let j = 0; j < message.files.length; ++j)
                            object.files[j] = $root.canal.ir.v1.HashedFile.toObject(message.files[j], options, _depth + 1);
                    }
                    return object;
                };

                SourceInfo.prototype.toJSON = function() {
                    return SourceInfo.toObject(this, $protobuf.util.toJSONOptions);
                };

                return SourceInfo;
            })();

            return v1;
        })();

        return ir;
    })();

    return canal;
})();

export {
  $root as default
};

const $PlainReader = $protobuf.Reader;

const $names_canal_ir_v1_PrimitiveType = { 0: "PRIMITIVE_UNSPECIFIED", 1: "NUMBER", 2: "STRING", 3: "BOOLEAN" };

const $names_canal_ir_v1_StepKind = { 0: "STEP_KIND_UNSPECIFIED", 1: "TYPESCRIPT", 2: "SCRIPT" };

const $names_canal_ir_v1_Condition_Op = { 0: "OP_UNSPECIFIED", 1: "TRUTHY", 2: "FALSY", 3: "EQ", 4: "NE", 5: "LT", 6: "LE", 7: "GT", 8: "GE" };

const $names_canal_ir_v1_Environment_Kind = { 0: "KIND_UNSPECIFIED", 1: "PYTHON", 2: "NODE", 3: "IMAGE" };

function $plain_canal_ir_v1_Pipeline(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["irVersion"];
    let f2 = _target === undefined ? undefined : _target["minRuntimeVersion"];
    let f3 = _target === undefined ? undefined : _target["name"];
    let f4 = _target === undefined ? undefined : _target["description"];
    let f5 = _target === undefined ? [] : _target["parameters"];
    let f6 = _target === undefined ? [] : _target["steps"];
    let f7 = _target === undefined ? [] : _target["fanOuts"];
    let f8 = _target === undefined ? [] : _target["outputs"];
    let f9 = _target === undefined ? [] : _target["environments"];
    let f10 = _target === undefined ? [] : _target["blobs"];
    let f11 = _target === undefined ? undefined : _target["source"];
    let f12 = _target === undefined ? undefined : _target["compilerVersion"];
    let f13 = _target === undefined ? undefined : _target["hash"];
    let f14 = _target === undefined ? [] : _target["templates"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 0)
                break;
            value = reader.uint32();
            f1 = value ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value.length ? value : undefined;
            continue;
        case 3:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f3 = value.length ? value : undefined;
            continue;
        case 4:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f4 = value.length ? value : undefined;
            continue;
        case 5:
            if (wireType !== 2)
                break;
            f5.push($plain_canal_ir_v1_Parameter(reader, reader.size(), _depth + 1, undefined));
            continue;
        case 6:
            if (wireType !== 2)
                break;
            f6.push($plain_canal_ir_v1_Step(reader, reader.size(), _depth + 1, undefined));
            continue;
        case 7:
            if (wireType !== 2)
                break;
            f7.push($plain_canal_ir_v1_FanOut(reader, reader.size(), _depth + 1, undefined));
            continue;
        case 8:
            if (wireType !== 2)
                break;
            f8.push($plain_canal_ir_v1_PipelineOutput(reader, reader.size(), _depth + 1, undefined));
            continue;
        case 9:
            if (wireType !== 2)
                break;
            f9.push($plain_canal_ir_v1_Environment(reader, reader.size(), _depth + 1, undefined));
            continue;
        case 10:
            if (wireType !== 2)
                break;
            f10.push($plain_canal_ir_v1_BlobRef(reader, reader.size(), _depth + 1, undefined));
            continue;
        case 11:
            if (wireType !== 2)
                break;
            f11 = $plain_canal_ir_v1_SourceInfo(reader, reader.size(), _depth + 1, f11);
            continue;
        case 12:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f12 = value.length ? value : undefined;
            continue;
        case 13:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f13 = value.length ? value : undefined;
            continue;
        case 14:
            if (wireType !== 2)
                break;
            f14.push($plain_canal_ir_v1_Step(reader, reader.size(), _depth + 1, undefined));
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    object["parameters"] = f5;
    object["steps"] = f6;
    object["fanOuts"] = f7;
    object["outputs"] = f8;
    object["environments"] = f9;
    object["blobs"] = f10;
    object["templates"] = f14;
    if (f1 !== undefined)
        object["irVersion"] = f1;
    if (f2 !== undefined)
        object["minRuntimeVersion"] = f2;
    if (f3 !== undefined)
        object["name"] = f3;
    if (f4 !== undefined)
        object["description"] = f4;
    if (f11 !== undefined)
        object["source"] = f11;
    if (f12 !== undefined)
        object["compilerVersion"] = f12;
    if (f13 !== undefined)
        object["hash"] = f13;
    return object;
}

function $plain_canal_ir_v1_Type(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["primitive"];
    let f2 = _target === undefined ? undefined : _target["artifact"];
    let f3 = _target === undefined ? undefined : _target["list"];
    let f4 = _target === undefined ? undefined : _target["enum"];
    let f5 = _target === undefined ? undefined : _target["object"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 0)
                break;
            value = reader.int32();
            f1 = ($names_canal_ir_v1_PrimitiveType[value] === undefined ? value : $names_canal_ir_v1_PrimitiveType[value]);
            f2 = undefined;
            f3 = undefined;
            f4 = undefined;
            f5 = undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            f2 = $plain_canal_ir_v1_ArtifactType(reader, reader.size(), _depth + 1, f2);
            f1 = undefined;
            f3 = undefined;
            f4 = undefined;
            f5 = undefined;
            continue;
        case 3:
            if (wireType !== 2)
                break;
            f3 = $plain_canal_ir_v1_ListType(reader, reader.size(), _depth + 1, f3);
            f1 = undefined;
            f2 = undefined;
            f4 = undefined;
            f5 = undefined;
            continue;
        case 4:
            if (wireType !== 2)
                break;
            f4 = $plain_canal_ir_v1_EnumType(reader, reader.size(), _depth + 1, f4);
            f1 = undefined;
            f2 = undefined;
            f3 = undefined;
            f5 = undefined;
            continue;
        case 5:
            if (wireType !== 2)
                break;
            f5 = $plain_canal_ir_v1_ObjectType(reader, reader.size(), _depth + 1, f5);
            f1 = undefined;
            f2 = undefined;
            f3 = undefined;
            f4 = undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["primitive"] = f1;
    if (f2 !== undefined)
        object["artifact"] = f2;
    if (f3 !== undefined)
        object["list"] = f3;
    if (f4 !== undefined)
        object["enum"] = f4;
    if (f5 !== undefined)
        object["object"] = f5;
    return object;
}

function $plain_canal_ir_v1_ArtifactType(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? [] : _target["lineage"];
    let f2 = _target === undefined ? undefined : _target["table"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            f1.push(reader.stringVerify());
            continue;
        case 2:
            if (wireType !== 2)
                break;
            f2 = $plain_canal_ir_v1_TableSchema(reader, reader.size(), _depth + 1, f2);
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    object["lineage"] = f1;
    if (f2 !== undefined)
        object["table"] = f2;
    return object;
}

function $plain_canal_ir_v1_TableSchema(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? [] : _target["columns"];
    let f2 = _target === undefined ? undefined : _target["schemaName"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            f1.push($plain_canal_ir_v1_TableColumn(reader, reader.size(), _depth + 1, undefined));
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value.length ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    object["columns"] = f1;
    if (f2 !== undefined)
        object["schemaName"] = f2;
    return object;
}

function $plain_canal_ir_v1_TableColumn(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["name"];
    let f2 = _target === undefined ? undefined : _target["type"];
    let f3 = _target === undefined ? undefined : _target["nullable"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value.length ? value : undefined;
            continue;
        case 3:
            if (wireType !== 0)
                break;
            value = reader.bool();
            f3 = value ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["name"] = f1;
    if (f2 !== undefined)
        object["type"] = f2;
    if (f3 !== undefined)
        object["nullable"] = f3;
    return object;
}

function $plain_canal_ir_v1_ListType(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["element"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            f1 = $plain_canal_ir_v1_Type(reader, reader.size(), _depth + 1, f1);
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["element"] = f1;
    return object;
}

function $plain_canal_ir_v1_EnumType(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? [] : _target["valuesJson"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            f1.push(reader.stringVerify());
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    object["valuesJson"] = f1;
    return object;
}

function $plain_canal_ir_v1_ObjectType(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? [] : _target["fields"];
    let f2 = _target === undefined ? undefined : _target["schemaName"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            f1.push($plain_canal_ir_v1_Field(reader, reader.size(), _depth + 1, undefined));
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value.length ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    object["fields"] = f1;
    if (f2 !== undefined)
        object["schemaName"] = f2;
    return object;
}

function $plain_canal_ir_v1_Field(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["name"];
    let f2 = _target === undefined ? undefined : _target["type"];
    let f3 = _target === undefined ? undefined : _target["optional"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            f2 = $plain_canal_ir_v1_Type(reader, reader.size(), _depth + 1, f2);
            continue;
        case 3:
            if (wireType !== 0)
                break;
            value = reader.bool();
            f3 = value ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["name"] = f1;
    if (f2 !== undefined)
        object["type"] = f2;
    if (f3 !== undefined)
        object["optional"] = f3;
    return object;
}

function $plain_canal_ir_v1_Parameter(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["name"];
    let f2 = _target === undefined ? undefined : _target["type"];
    let f3 = _target === undefined ? undefined : _target["hasDefault"];
    let f4 = _target === undefined ? undefined : _target["defaultJson"];
    let f5 = _target === undefined ? undefined : _target["defaultArtifact"];
    let f6 = _target === undefined ? undefined : _target["description"];
    let f7 = _target === undefined ? undefined : _target["location"];
    let f8 = _target === undefined ? undefined : _target["defaultData"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            f2 = $plain_canal_ir_v1_Type(reader, reader.size(), _depth + 1, f2);
            continue;
        case 3:
            if (wireType !== 0)
                break;
            value = reader.bool();
            f3 = value ? value : undefined;
            continue;
        case 4:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f4 = value.length ? value : undefined;
            continue;
        case 5:
            if (wireType !== 2)
                break;
            f5 = $plain_canal_ir_v1_DatasetRef(reader, reader.size(), _depth + 1, f5);
            continue;
        case 6:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f6 = value.length ? value : undefined;
            continue;
        case 7:
            if (wireType !== 2)
                break;
            f7 = $plain_canal_ir_v1_SourceLocation(reader, reader.size(), _depth + 1, f7);
            continue;
        case 8:
            if (wireType !== 2)
                break;
            f8 = $plain_canal_ir_v1_DataRef(reader, reader.size(), _depth + 1, f8);
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["name"] = f1;
    if (f2 !== undefined)
        object["type"] = f2;
    if (f3 !== undefined)
        object["hasDefault"] = f3;
    if (f4 !== undefined)
        object["defaultJson"] = f4;
    if (f5 !== undefined)
        object["defaultArtifact"] = f5;
    if (f6 !== undefined)
        object["description"] = f6;
    if (f7 !== undefined)
        object["location"] = f7;
    if (f8 !== undefined)
        object["defaultData"] = f8;
    return object;
}

function $plain_canal_ir_v1_DataRef(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["dataset"];
    let f2 = _target === undefined ? undefined : _target["version"];
    let f3 = _target === undefined ? undefined : _target["datastore"];
    let f4 = _target === undefined ? undefined : _target["path"];
    let f5 = _target === undefined ? undefined : _target["access"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 0)
                break;
            value = reader.uint32();
            f2 = value ? value : undefined;
            continue;
        case 3:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f3 = value.length ? value : undefined;
            continue;
        case 4:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f4 = value.length ? value : undefined;
            continue;
        case 5:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f5 = value.length ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["dataset"] = f1;
    if (f2 !== undefined)
        object["version"] = f2;
    if (f3 !== undefined)
        object["datastore"] = f3;
    if (f4 !== undefined)
        object["path"] = f4;
    if (f5 !== undefined)
        object["access"] = f5;
    return object;
}

function $plain_canal_ir_v1_DatasetRef(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["path"];
    let f2 = _target === undefined ? undefined : _target["blob"];
    let f3 = _target === undefined ? undefined : _target["directory"];
    let f4 = _target === undefined ? undefined : _target["name"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value.length ? value : undefined;
            continue;
        case 3:
            if (wireType !== 0)
                break;
            value = reader.bool();
            f3 = value ? value : undefined;
            continue;
        case 4:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f4 = value.length ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["path"] = f1;
    if (f2 !== undefined)
        object["blob"] = f2;
    if (f3 !== undefined)
        object["directory"] = f3;
    if (f4 !== undefined)
        object["name"] = f4;
    return object;
}

function $plain_canal_ir_v1_Step(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["id"];
    let f2 = _target === undefined ? undefined : _target["name"];
    let f3 = _target === undefined ? undefined : _target["kind"];
    let f4 = _target === undefined ? undefined : _target["code"];
    let f5 = _target === undefined ? undefined : _target["script"];
    let f6 = _target === undefined ? [] : _target["inputs"];
    let f7 = _target === undefined ? [] : _target["outputs"];
    let f8 = _target === undefined ? undefined : _target["environment"];
    let f9 = _target === undefined ? undefined : _target["resources"];
    let f10 = _target === undefined ? undefined : _target["retry"];
    let f11 = _target === undefined ? undefined : _target["timeoutMs"];
    let f12 = _target === undefined ? undefined : _target["cache"];
    let f13 = _target === undefined ? undefined : _target["compute"];
    let f14 = _target === undefined ? undefined : _target["fanOut"];
    let f15 = _target === undefined ? [] : _target["conditions"];
    let f16 = _target === undefined ? [] : _target["after"];
    let f17 = _target === undefined ? undefined : _target["location"];
    let f18 = _target === undefined ? undefined : _target["codeHash"];
    let f19 = _target === undefined ? [] : _target["codeFiles"];
    let f20 = _target === undefined ? undefined : _target["hash"];
    let f21 = _target === undefined ? undefined : _target["description"];
    let f22 = _target === undefined ? undefined : _target["template"];
    let f23 = _target === undefined ? [] : _target["passEnv"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value.length ? value : undefined;
            continue;
        case 3:
            if (wireType !== 0)
                break;
            value = reader.int32();
            f3 = value ? ($names_canal_ir_v1_StepKind[value] === undefined ? value : $names_canal_ir_v1_StepKind[value]) : undefined;
            continue;
        case 4:
            if (wireType !== 2)
                break;
            f4 = $plain_canal_ir_v1_CodeRef(reader, reader.size(), _depth + 1, f4);
            continue;
        case 5:
            if (wireType !== 2)
                break;
            f5 = $plain_canal_ir_v1_ScriptSpec(reader, reader.size(), _depth + 1, f5);
            continue;
        case 6:
            if (wireType !== 2)
                break;
            f6.push($plain_canal_ir_v1_Input(reader, reader.size(), _depth + 1, undefined));
            continue;
        case 7:
            if (wireType !== 2)
                break;
            f7.push($plain_canal_ir_v1_Output(reader, reader.size(), _depth + 1, undefined));
            continue;
        case 8:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f8 = value.length ? value : undefined;
            continue;
        case 9:
            if (wireType !== 2)
                break;
            f9 = $plain_canal_ir_v1_Resources(reader, reader.size(), _depth + 1, f9);
            continue;
        case 10:
            if (wireType !== 2)
                break;
            f10 = $plain_canal_ir_v1_RetryPolicy(reader, reader.size(), _depth + 1, f10);
            continue;
        case 11:
            if (wireType !== 1)
                break;
            value = reader.double();
            f11 = !Object.is(value, 0) ? value : undefined;
            continue;
        case 12:
            if (wireType !== 2)
                break;
            f12 = $plain_canal_ir_v1_CachePolicy(reader, reader.size(), _depth + 1, f12);
            continue;
        case 13:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f13 = value.length ? value : undefined;
            continue;
        case 14:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f14 = value.length ? value : undefined;
            continue;
        case 15:
            if (wireType !== 2)
                break;
            f15.push($plain_canal_ir_v1_Condition(reader, reader.size(), _depth + 1, undefined));
            continue;
        case 16:
            if (wireType !== 2)
                break;
            f16.push(reader.stringVerify());
            continue;
        case 17:
            if (wireType !== 2)
                break;
            f17 = $plain_canal_ir_v1_SourceLocation(reader, reader.size(), _depth + 1, f17);
            continue;
        case 18:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f18 = value.length ? value : undefined;
            continue;
        case 19:
            if (wireType !== 2)
                break;
            f19.push($plain_canal_ir_v1_HashedFile(reader, reader.size(), _depth + 1, undefined));
            continue;
        case 20:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f20 = value.length ? value : undefined;
            continue;
        case 21:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f21 = value.length ? value : undefined;
            continue;
        case 22:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f22 = value.length ? value : undefined;
            continue;
        case 23:
            if (wireType !== 2)
                break;
            f23.push(reader.stringVerify());
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    object["inputs"] = f6;
    object["outputs"] = f7;
    object["conditions"] = f15;
    object["after"] = f16;
    object["codeFiles"] = f19;
    object["passEnv"] = f23;
    if (f1 !== undefined)
        object["id"] = f1;
    if (f2 !== undefined)
        object["name"] = f2;
    if (f3 !== undefined)
        object["kind"] = f3;
    if (f4 !== undefined)
        object["code"] = f4;
    if (f5 !== undefined)
        object["script"] = f5;
    if (f8 !== undefined)
        object["environment"] = f8;
    if (f9 !== undefined)
        object["resources"] = f9;
    if (f10 !== undefined)
        object["retry"] = f10;
    if (f11 !== undefined)
        object["timeoutMs"] = f11;
    if (f12 !== undefined)
        object["cache"] = f12;
    if (f13 !== undefined)
        object["compute"] = f13;
    if (f14 !== undefined)
        object["fanOut"] = f14;
    if (f17 !== undefined)
        object["location"] = f17;
    if (f18 !== undefined)
        object["codeHash"] = f18;
    if (f20 !== undefined)
        object["hash"] = f20;
    if (f21 !== undefined)
        object["description"] = f21;
    if (f22 !== undefined)
        object["template"] = f22;
    return object;
}

function $plain_canal_ir_v1_CodeRef(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["bundle"];
    let f2 = _target === undefined ? undefined : _target["exportName"];
    let f3 = _target === undefined ? undefined : _target["member"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value.length ? value : undefined;
            continue;
        case 3:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f3 = value.length ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["bundle"] = f1;
    if (f2 !== undefined)
        object["exportName"] = f2;
    if (f3 !== undefined)
        object["member"] = f3;
    return object;
}

function $plain_canal_ir_v1_ScriptSpec(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["snapshot"];
    let f2 = _target === undefined ? undefined : _target["command"];
    let f3 = _target === undefined ? undefined : _target["source"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value.length ? value : undefined;
            continue;
        case 3:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f3 = value.length ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["snapshot"] = f1;
    if (f2 !== undefined)
        object["command"] = f2;
    if (f3 !== undefined)
        object["source"] = f3;
    return object;
}

function $plain_canal_ir_v1_Input(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["name"];
    let f2 = _target === undefined ? undefined : _target["type"];
    let f3 = _target === undefined ? undefined : _target["binding"];
    let f4 = _target === undefined ? undefined : _target["optional"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            f2 = $plain_canal_ir_v1_Type(reader, reader.size(), _depth + 1, f2);
            continue;
        case 3:
            if (wireType !== 2)
                break;
            f3 = $plain_canal_ir_v1_Binding(reader, reader.size(), _depth + 1, f3);
            continue;
        case 4:
            if (wireType !== 0)
                break;
            value = reader.bool();
            f4 = value ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["name"] = f1;
    if (f2 !== undefined)
        object["type"] = f2;
    if (f3 !== undefined)
        object["binding"] = f3;
    if (f4 !== undefined)
        object["optional"] = f4;
    return object;
}

function $plain_canal_ir_v1_Output(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["name"];
    let f2 = _target === undefined ? undefined : _target["type"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            f2 = $plain_canal_ir_v1_Type(reader, reader.size(), _depth + 1, f2);
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["name"] = f1;
    if (f2 !== undefined)
        object["type"] = f2;
    return object;
}

function $plain_canal_ir_v1_OutputRef(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["step"];
    let f2 = _target === undefined ? undefined : _target["output"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value.length ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["step"] = f1;
    if (f2 !== undefined)
        object["output"] = f2;
    return object;
}

function $plain_canal_ir_v1_Binding(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["output"];
    let f2 = _target === undefined ? undefined : _target["parameter"];
    let f3 = _target === undefined ? undefined : _target["literalJson"];
    let f4 = _target === undefined ? undefined : _target["fanOutItem"];
    let f5 = _target === undefined ? undefined : _target["collect"];
    let f6 = _target === undefined ? [] : _target["path"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            f1 = $plain_canal_ir_v1_OutputRef(reader, reader.size(), _depth + 1, f1);
            f2 = undefined;
            f3 = undefined;
            f4 = undefined;
            f5 = undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value;
            f1 = undefined;
            f3 = undefined;
            f4 = undefined;
            f5 = undefined;
            continue;
        case 3:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f3 = value;
            f1 = undefined;
            f2 = undefined;
            f4 = undefined;
            f5 = undefined;
            continue;
        case 4:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f4 = value;
            f1 = undefined;
            f2 = undefined;
            f3 = undefined;
            f5 = undefined;
            continue;
        case 5:
            if (wireType !== 2)
                break;
            f5 = $plain_canal_ir_v1_OutputRef(reader, reader.size(), _depth + 1, f5);
            f1 = undefined;
            f2 = undefined;
            f3 = undefined;
            f4 = undefined;
            continue;
        case 6:
            if (wireType !== 2)
                break;
            f6.push(reader.stringVerify());
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    object["path"] = f6;
    if (f1 !== undefined)
        object["output"] = f1;
    if (f2 !== undefined)
        object["parameter"] = f2;
    if (f3 !== undefined)
        object["literalJson"] = f3;
    if (f4 !== undefined)
        object["fanOutItem"] = f4;
    if (f5 !== undefined)
        object["collect"] = f5;
    return object;
}

function $plain_canal_ir_v1_FanOut(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["id"];
    let f2 = _target === undefined ? undefined : _target["itemName"];
    let f3 = _target === undefined ? undefined : _target["parameter"];
    let f4 = _target === undefined ? undefined : _target["literalJson"];
    let f5 = _target === undefined ? [] : _target["parameterPath"];
    let f6 = _target === undefined ? undefined : _target["location"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value.length ? value : undefined;
            continue;
        case 3:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f3 = value;
            f4 = undefined;
            continue;
        case 4:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f4 = value;
            f3 = undefined;
            continue;
        case 5:
            if (wireType !== 2)
                break;
            f5.push(reader.stringVerify());
            continue;
        case 6:
            if (wireType !== 2)
                break;
            f6 = $plain_canal_ir_v1_SourceLocation(reader, reader.size(), _depth + 1, f6);
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    object["parameterPath"] = f5;
    if (f1 !== undefined)
        object["id"] = f1;
    if (f2 !== undefined)
        object["itemName"] = f2;
    if (f3 !== undefined)
        object["parameter"] = f3;
    if (f4 !== undefined)
        object["literalJson"] = f4;
    if (f6 !== undefined)
        object["location"] = f6;
    return object;
}

function $plain_canal_ir_v1_Condition(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["parameter"];
    let f2 = _target === undefined ? [] : _target["path"];
    let f3 = _target === undefined ? undefined : _target["op"];
    let f4 = _target === undefined ? undefined : _target["valueJson"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            f2.push(reader.stringVerify());
            continue;
        case 3:
            if (wireType !== 0)
                break;
            value = reader.int32();
            f3 = value ? ($names_canal_ir_v1_Condition_Op[value] === undefined ? value : $names_canal_ir_v1_Condition_Op[value]) : undefined;
            continue;
        case 4:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f4 = value.length ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    object["path"] = f2;
    if (f1 !== undefined)
        object["parameter"] = f1;
    if (f3 !== undefined)
        object["op"] = f3;
    if (f4 !== undefined)
        object["valueJson"] = f4;
    return object;
}

function $plain_canal_ir_v1_PipelineOutput(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["name"];
    let f2 = _target === undefined ? undefined : _target["type"];
    let f3 = _target === undefined ? undefined : _target["binding"];
    let f4 = _target === undefined ? undefined : _target["destination"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            f2 = $plain_canal_ir_v1_Type(reader, reader.size(), _depth + 1, f2);
            continue;
        case 3:
            if (wireType !== 2)
                break;
            f3 = $plain_canal_ir_v1_Binding(reader, reader.size(), _depth + 1, f3);
            continue;
        case 4:
            if (wireType !== 2)
                break;
            f4 = $plain_canal_ir_v1_OutputDestination(reader, reader.size(), _depth + 1, f4);
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["name"] = f1;
    if (f2 !== undefined)
        object["type"] = f2;
    if (f3 !== undefined)
        object["binding"] = f3;
    if (f4 !== undefined)
        object["destination"] = f4;
    return object;
}

function $plain_canal_ir_v1_OutputDestination(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["datastore"];
    let f2 = _target === undefined ? undefined : _target["path"];
    let f3 = _target === undefined ? undefined : _target["register"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value.length ? value : undefined;
            continue;
        case 3:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f3 = value.length ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["datastore"] = f1;
    if (f2 !== undefined)
        object["path"] = f2;
    if (f3 !== undefined)
        object["register"] = f3;
    return object;
}

function $plain_canal_ir_v1_Environment(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["id"];
    let f2 = _target === undefined ? undefined : _target["kind"];
    let f3 = _target === undefined ? undefined : _target["image"];
    let f4 = _target === undefined ? undefined : _target["pythonVersion"];
    let f5 = _target === undefined ? undefined : _target["nodeVersion"];
    let f6 = _target === undefined ? undefined : _target["requirementsPath"];
    let f7 = _target === undefined ? undefined : _target["requirements"];
    let f8 = _target === undefined ? [] : _target["packages"];
    let f9 = _target === undefined ? [] : _target["variables"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 0)
                break;
            value = reader.int32();
            f2 = value ? ($names_canal_ir_v1_Environment_Kind[value] === undefined ? value : $names_canal_ir_v1_Environment_Kind[value]) : undefined;
            continue;
        case 3:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f3 = value.length ? value : undefined;
            continue;
        case 4:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f4 = value.length ? value : undefined;
            continue;
        case 5:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f5 = value.length ? value : undefined;
            continue;
        case 6:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f6 = value.length ? value : undefined;
            continue;
        case 7:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f7 = value.length ? value : undefined;
            continue;
        case 8:
            if (wireType !== 2)
                break;
            f8.push(reader.stringVerify());
            continue;
        case 9:
            if (wireType !== 2)
                break;
            f9.push($plain_canal_ir_v1_EnvVar(reader, reader.size(), _depth + 1, undefined));
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    object["packages"] = f8;
    object["variables"] = f9;
    if (f1 !== undefined)
        object["id"] = f1;
    if (f2 !== undefined)
        object["kind"] = f2;
    if (f3 !== undefined)
        object["image"] = f3;
    if (f4 !== undefined)
        object["pythonVersion"] = f4;
    if (f5 !== undefined)
        object["nodeVersion"] = f5;
    if (f6 !== undefined)
        object["requirementsPath"] = f6;
    if (f7 !== undefined)
        object["requirements"] = f7;
    return object;
}

function $plain_canal_ir_v1_EnvVar(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["name"];
    let f2 = _target === undefined ? undefined : _target["value"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value.length ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["name"] = f1;
    if (f2 !== undefined)
        object["value"] = f2;
    return object;
}

function $plain_canal_ir_v1_Resources(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["cpu"];
    let f2 = _target === undefined ? undefined : _target["memoryBytes"];
    let f3 = _target === undefined ? undefined : _target["gpu"];
    let f4 = _target === undefined ? undefined : _target["gpuType"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 1)
                break;
            value = reader.double();
            f1 = !Object.is(value, 0) ? value : undefined;
            continue;
        case 2:
            if (wireType !== 1)
                break;
            value = reader.double();
            f2 = !Object.is(value, 0) ? value : undefined;
            continue;
        case 3:
            if (wireType !== 0)
                break;
            value = reader.uint32();
            f3 = value ? value : undefined;
            continue;
        case 4:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f4 = value.length ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["cpu"] = f1;
    if (f2 !== undefined)
        object["memoryBytes"] = f2;
    if (f3 !== undefined)
        object["gpu"] = f3;
    if (f4 !== undefined)
        object["gpuType"] = f4;
    return object;
}

function $plain_canal_ir_v1_RetryPolicy(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["maxRetries"];
    let f2 = _target === undefined ? undefined : _target["backoffMs"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 0)
                break;
            value = reader.uint32();
            f1 = value ? value : undefined;
            continue;
        case 2:
            if (wireType !== 1)
                break;
            value = reader.double();
            f2 = !Object.is(value, 0) ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["maxRetries"] = f1;
    if (f2 !== undefined)
        object["backoffMs"] = f2;
    return object;
}

function $plain_canal_ir_v1_CachePolicy(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["noReuse"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 0)
                break;
            value = reader.bool();
            f1 = value ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["noReuse"] = f1;
    return object;
}

function $plain_canal_ir_v1_HashedFile(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["path"];
    let f2 = _target === undefined ? undefined : _target["sha256"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value.length ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["path"] = f1;
    if (f2 !== undefined)
        object["sha256"] = f2;
    return object;
}

function $plain_canal_ir_v1_BlobRef(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["sha256"];
    let f2 = _target === undefined ? undefined : _target["size"];
    let f3 = _target === undefined ? undefined : _target["mediaType"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 1)
                break;
            value = reader.double();
            f2 = !Object.is(value, 0) ? value : undefined;
            continue;
        case 3:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f3 = value.length ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["sha256"] = f1;
    if (f2 !== undefined)
        object["size"] = f2;
    if (f3 !== undefined)
        object["mediaType"] = f3;
    return object;
}

function $plain_canal_ir_v1_SourceLocation(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["file"];
    let f2 = _target === undefined ? undefined : _target["line"];
    let f3 = _target === undefined ? undefined : _target["column"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 0)
                break;
            value = reader.uint32();
            f2 = value ? value : undefined;
            continue;
        case 3:
            if (wireType !== 0)
                break;
            value = reader.uint32();
            f3 = value ? value : undefined;
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    if (f1 !== undefined)
        object["file"] = f1;
    if (f2 !== undefined)
        object["line"] = f2;
    if (f3 !== undefined)
        object["column"] = f3;
    return object;
}

function $plain_canal_ir_v1_SourceInfo(reader, length, _depth, _target) {
    if (_depth > $PlainReader.recursionLimit)
        throw Error("max depth exceeded");
    let end, value;
    if (length === undefined)
        end = reader.len;
    else {
        end = reader.pos + length;
        if (end > reader.len)
            throw RangeError("index out of range");
        length = reader.len;
        reader.len = end;
    }
    let f1 = _target === undefined ? undefined : _target["entry"];
    let f2 = _target === undefined ? undefined : _target["gitCommit"];
    let f3 = _target === undefined ? undefined : _target["gitBranch"];
    let f4 = _target === undefined ? undefined : _target["gitDirty"];
    let f5 = _target === undefined ? [] : _target["files"];
    while (reader.pos < end) {
        const tag = reader.tag();
        const wireType = tag & 7;
        switch (tag >>> 3) {
        case 1:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f1 = value.length ? value : undefined;
            continue;
        case 2:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f2 = value.length ? value : undefined;
            continue;
        case 3:
            if (wireType !== 2)
                break;
            value = reader.stringVerify();
            f3 = value.length ? value : undefined;
            continue;
        case 4:
            if (wireType !== 0)
                break;
            value = reader.bool();
            f4 = value ? value : undefined;
            continue;
        case 5:
            if (wireType !== 2)
                break;
            f5.push($plain_canal_ir_v1_HashedFile(reader, reader.size(), _depth + 1, undefined));
            continue;
        }
        reader.skipType(wireType, _depth, tag >>> 3);
    }
    if (length !== undefined) {
        if (reader.pos !== end)
            throw RangeError("index out of range");
        reader.len = length;
    }
    const object = {};
    object["files"] = f5;
    if (f1 !== undefined)
        object["entry"] = f1;
    if (f2 !== undefined)
        object["gitCommit"] = f2;
    if (f3 !== undefined)
        object["gitBranch"] = f3;
    if (f4 !== undefined)
        object["gitDirty"] = f4;
    return object;
}

/** What schema.ts uses of a message's static code (the functions protobufjs would generate). */
export interface StaticMessage {
  encode(message: object): { finish(): Uint8Array };
  fromObject(object: object): object;
  toObject(message: object, options?: import("protobufjs").IConversionOptions): object;
  verify(message: object): string | null;
}

/** The static code of `canal.ir.v1.Pipeline`. */
export const PipelineMessage: StaticMessage = canal.ir.v1.Pipeline;

/**
 * Protobuf bytes of a `canal.ir.v1.Pipeline` straight to the plain object that protobufjs's
 * decode and then toObject with `{ enums: String, longs: Number, defaults: false, arrays: true }`
 * give, in one pass: the same fields, values, key order and errors, without the message objects
 * in between.
 */
export const decodePlainPipeline: (bytes: Uint8Array) => object = (bytes) =>
    $plain_canal_ir_v1_Pipeline($PlainReader.create(bytes), undefined, 0, undefined);
