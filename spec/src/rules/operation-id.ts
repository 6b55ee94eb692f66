/**
 * @module `operation-id`: every operation has an `operationId`, unique in the document.
 * OpenAPI 3.1 §4.8.10.1 `operationId` ("MUST be unique among all operations"; swagger-parser does not
 * check it for 3.x); design.md "Generated artefacts" (the route table and SDK are keyed by it).
 */
import { defineRule, type Finding, quote } from '../lib/rule.js';

export const operationId = defineRule({
  id: 'operation-id',
  description: 'Every operation has a unique operationId.',
  check({ operations }) {
    const first = new Map<string, string>();
    return operations.flatMap((op): Finding[] => {
      const id = op.operation.operationId;
      if (typeof id !== 'string' || id === '') {
        return [
          {
            pointer: id === undefined ? op.pointer : `${op.pointer}/operationId`,
            message:
              `${op.route} has ${id === undefined ? 'no "operationId"' : `the operationId ${quote(id)}`}: ` +
              'the route table and the SDK name operations by it. Add a camelCase name, e.g. "listAgents".',
          },
        ];
      }
      const seen = first.get(id);
      if (seen === undefined) {
        first.set(id, op.route);
        return [];
      }
      return [
        {
          pointer: `${op.pointer}/operationId`,
          message:
            `operationId ${quote(id)} of ${op.route} is already used by ${seen}; operationIds must be ` +
            'unique (OpenAPI 3.1 §4.8.10.1). Rename one of them.',
        },
      ];
    });
  },
});
