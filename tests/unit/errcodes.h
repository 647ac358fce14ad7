/* errcodes.h - what the unit tests check of every module's error codes
 * SPDX-License-Identifier: MIT
 *
 * Include after cmocka.h and string.h.
 */
#ifndef OSHIRASE_TEST_ERRCODES_H
#define OSHIRASE_TEST_ERRCODES_H

/*
 * A module's own codes (the project's error convention): negative, distinct, neither
 * errno values (Linux's are below 200) nor LMDB's (-30799 to -30780), so
 * that a function may return any of the three; each has a text of its
 * own in the module's _strerror, which says "no error" for 0.
 */
static inline void
assert_module_codes(const int *codes, size_t n, const char *(*text)(int))
{
	assert_string_equal(text(0), "no error");
	for (size_t i = 0; i < n; i++) {
		assert_true(codes[i] < -200 && codes[i] > -30000);
		assert_null(strstr(text(codes[i]), "unknown"));
		for (size_t j = 0; j < i; j++) {
			assert_int_not_equal(codes[i], codes[j]);
			assert_string_not_equal(text(codes[i]), text(codes[j]));
		}
	}
}

#endif
