using Holdout.Bench;

return args.FirstOrDefault() switch
{
    "hashes" => HashCalibration.Run(args.Skip(1).ToArray()),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("""
        Holdout.Bench: measurements run on demand (not part of the tests).
          loader [--shared DIR] [--workers 2] [--passes 6]   loader img/s vs the PyTorch DataLoader peer, same session
          hashes DIR                                         perceptual-hash distances: copies vs distinct images
        """);
    return 1;
}
