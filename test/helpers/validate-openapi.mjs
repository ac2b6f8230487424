// Validates the OpenAPI document read on stdin with @apidevtools/swagger-parser (an ES module,
// so it runs in its own Node process; Jest loads CommonJS). Prints "valid" or the error; exit 0/1.
import SwaggerParser from '@apidevtools/swagger-parser';

let text = '';
for await (const chunk of process.stdin) text += chunk;
try {
  await SwaggerParser.validate(JSON.parse(text));
  console.log('valid');
} catch (err) {
  console.log(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
