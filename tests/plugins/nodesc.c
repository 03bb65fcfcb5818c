/*
 * nodesc -- a test plugin that is a valid shared object but exports no
 * paved_plugin descriptor.
 */
int nodesc_something(void);

int nodesc_something(void)
{
	return 42;
}
