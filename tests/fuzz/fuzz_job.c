/* fuzz_job.c - libFuzzer target: the wire decoders of job.h (a job, a
 * result, a credit) on arbitrary frames
 * SPDX-License-Identifier: MIT
 *
 * Every frame is offered to the three decoders.  What decodes must stay
 * inside the frame, and encode back: a job (OSJ3) and a credit to the very
 * bytes, a job of the older frame (OSJ2) to an OSJ3 that decodes to the
 * same job, a result (whose control characters the decoder turned into '?')
 * to a frame that decodes to the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[1 << 17];

static void
check_job(const uint8_t *data, size_t size)
{
	struct job j;
	size_t n;

	if (job_decode(data, size, &j) != 0)
		return;
	for (unsigned i = 0; i < j.ntexts; i++)
		if ((const uint8_t *)j.text[i] < data ||
		    (const uint8_t *)j.text[i] + j.text_len[i] > data + size)
			abort();	/* a text outside the frame */
	n = job_encode(&j, out, sizeof(out));
	if (memcmp(data, "OSJ2", 4) == 0) {
		struct job again;

		/* kind and an empty item count more */
		if (size + 2 <= sizeof(out) && (n != size + 2 ||
		    job_decode(out, n, &again) != 0 ||
		    again.kind != JOB_PUSH || again.nitems != 0 ||
		    again.ntexts != j.ntexts))
			abort();
		return;
	}
	if (size <= sizeof(out) && (n != size || memcmp(out, data, size) != 0))
		abort();	/* does not encode back to its bytes */
}

static void
check_result(const uint8_t *data, size_t size)
{
	struct job_result r, again;
	size_t n;

	if (job_result_decode(data, size, &r) != 0)
		return;
	if (strlen(r.detail) >= sizeof(r.detail) ||
	    strlen(r.request_id) >= sizeof(r.request_id))
		abort();
	for (const char *c = r.detail; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			abort();	/* a control character for the log */
	/* a result is encoded in the current frame (OSR3); one of the
	 * older frame (OSR2, still read) encodes to another size */
	n = job_result_encode(&r, out, sizeof(out));
	if ((memcmp(data, "OSR3", 4) == 0 && n != size) ||
	    job_result_decode(out, n, &again) != 0 ||
	    memcmp(&r, &again, sizeof(r)) != 0)
		abort();
}

static void
check_credit(const uint8_t *data, size_t size)
{
	unsigned n;

	if (job_credit_decode(data, size, &n) != 0)
		return;
	if (job_credit_encode(n, out, sizeof(out)) != size ||
	    memcmp(out, data, size) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_job(data, size);
	check_result(data, size);
	check_credit(data, size);
	return 0;
}
