/* Fixture for tools/depgraph.py (never compiled): frame.c calls up into domain.c. */
void frame_free_one(void)
{
    domain_put_ref();
}
