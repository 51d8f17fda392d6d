// The file descriptors server reflection hands to clients, corrected. proto-loader builds them
// with protobufjs, which (as of 7.x) names the entry message of a map field after the field
// (`Metadata`) instead of `MetadataEntry` as protoc does, and names every file after its package
// (`isola_v1.proto`). Strict clients such as `buf curl` reject such a schema ("failed to find
// service ... in schema"), so reflection gets the descriptors as protoc would write them. The
// service itself (encoding, decoding) is unaffected: only names change, not field numbers.
import type { PackageDefinition } from '@grpc/proto-loader';
import descriptor from 'protobufjs/ext/descriptor/index.js';

interface MessageDescriptor {
  field?: { typeName?: string; label?: number; type?: number }[];
  nestedType?: (MessageDescriptor & { name?: string; options?: { mapEntry?: boolean } })[];
}

/** `definition` with its file descriptors corrected, the file named `fileName`; for ReflectionService only. */
export function reflectionDefinition(definition: PackageDefinition, fileName: string): PackageDefinition {
  const corrected: PackageDefinition = {};
  for (const [name, entry] of Object.entries(definition)) {
    const protos = (entry as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos;
    corrected[name] = protos === undefined ? entry : { ...entry, fileDescriptorProtos: protos.map((bytes) => correctedFile(bytes, fileName)) } as typeof entry;
  }
  return corrected;
}

function correctedFile(bytes: Buffer, fileName: string): Buffer {
  const file = descriptor.FileDescriptorProto.decode(bytes) as unknown as { name?: string; messageType?: MessageDescriptor[] };
  file.name = fileName;
  for (const message of file.messageType ?? []) renameMapEntries(message);
  return Buffer.from(descriptor.FileDescriptorProto.encode(file as never).finish());
}

/** Names map entry messages `<Field>Entry`, as protoc does, and points their fields at them. */
function renameMapEntries(message: MessageDescriptor): void {
  for (const nested of message.nestedType ?? []) {
    renameMapEntries(nested);
    if (nested.options?.mapEntry !== true || nested.name === undefined || nested.name.endsWith('Entry')) continue;
    const oldName = nested.name;
    nested.name = `${oldName}Entry`;
    for (const field of message.field ?? []) if (field.typeName === oldName) field.typeName = nested.name;
  }
}
