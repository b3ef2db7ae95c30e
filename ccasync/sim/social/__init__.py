"""Social (``/social``): connected profiles, hashtag groups and posts to them."""
