/*
 * xsb-size: the size of the .xsb that Moddable's xsc would write for an ES module, without the SDK.
 * Compiled against the XS sources that @agoric/xsnap ships (build/xsb-size.mjs builds it with cc): the
 * same parser and code generator as xsc, the same calls (fxParserTree, fxParserHoist, fxParserBind,
 * fxParserCode) with xsc's release flags (0: a module, no debug lines), and xsc's .xsb layout:
 * XS_B header 8 + VERS 12 + SYMB 8 + symbols + CODE 8 + code (+ HOST 8 + hosts).
 * Usage: xsb-size file.js...   One line per file: xsb-bytes code-bytes symbols-bytes hosts-bytes path.
 */
#include "xsScript.h"

void fxAbort(void* console, int status)
{
	fprintf(stderr, "xsb-size: abort %d\n", status);
	c_exit(1);
}

txID fxGenerateProfileID(void* console)
{
	return XS_NO_ID;
}

void fxGenerateTag(void* console, txString buffer, txInteger bufferSize, txString path)
{
	static txInteger tag = 0;
	snprintf(buffer, bufferSize, "#%d@%s", tag++, path);
}

void fxVReport(void* console, txString format, c_va_list arguments)
{
	vfprintf(stderr, format, arguments);
}

void fxVReportError(void* console, txString path, txInteger line, txString format, c_va_list arguments)
{
	fprintf(stderr, "%s:%d: error: ", path ? path : "?", (int)line);
	vfprintf(stderr, format, arguments);
	fprintf(stderr, "\n");
}

void fxVReportWarning(void* console, txString path, txInteger line, txString format, c_va_list arguments)
{
}

static int measure(txString input)
{
	txParser _parser;
	txParser* parser = &_parser;
	txParserJump jump;
	txScript* script = NULL;
	FILE* file = NULL;
	int status = 1;
	fxInitializeParser(parser, NULL, 1024 * 1024, 1993);
	parser->firstJump = &jump;
	if (c_setjmp(jump.jmp_buf) == 0) {
		parser->origin = parser->path = fxNewParserSymbol(parser, input);
		file = fopen(input, "r");
		if (!file) {
			fprintf(stderr, "xsb-size: cannot read %s\n", input);
			c_longjmp(parser->firstJump->jmp_buf, 1);
		}
		fxParserTree(parser, file, (txGetter)fgetc, 0, NULL);
		fclose(file);
		file = NULL;
		fxParserHoist(parser);
		fxParserBind(parser);
		script = fxParserCode(parser);
		if (parser->errorCount == 0 && script) {
			long size = 8 + 8 + 4 + 8 + script->symbolsSize + 8 + script->codeSize;
			if (script->hostsBuffer)
				size += 8 + script->hostsSize;
			printf("%ld %ld %ld %ld %s\n", size, (long)script->codeSize, (long)script->symbolsSize, (long)(script->hostsBuffer ? script->hostsSize : 0), input);
			status = 0;
		}
	}
	if (file)
		fclose(file);
	fxDeleteScript(script);
	fxTerminateParser(parser);
	return status;
}

int main(int argc, char* argv[])
{
	int status = 0;
	for (int i = 1; i < argc; i++)
		status |= measure(argv[i]);
	return status;
}
