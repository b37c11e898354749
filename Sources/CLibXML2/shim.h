// libxml2 as seen from Swift.
//
// The libxml2 headers include the system ICU headers when libxml2 was built with ICU, and those
// clash with the ICU module that Foundation carries ("... is not present in definition of
// 'enum UErrorCode'"). Undefining LIBXML_ICU_ENABLED after xmlversion.h keeps ICU out; Merkisto
// never touches the ICU-only fields of the encoding handler.
#ifndef MERKISTO_CLIBXML2_SHIM_H
#define MERKISTO_CLIBXML2_SHIM_H

#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlschemas.h>


// libxml2's generic error callback is variadic, which Swift cannot implement; this header-only pair
// installs a silent one, for this thread and as the default for new threads.
static void merkisto_discard_generic_error(void *context, const char *message, ...) {
    (void)context;
    (void)message;
}

static inline void merkisto_silence_generic_errors(void) {
    xmlSetGenericErrorFunc(NULL, merkisto_discard_generic_error);
    xmlThrDefSetGenericErrorFunc(NULL, merkisto_discard_generic_error);
}

#endif
